"""Loopback fakes of the chat platforms for end-to-end adapter tests.

`fakes.discord_fake.FakeDiscord` is a fake Discord (REST + gateway) that the real
discord.py client talks to over 127.0.0.1; see that module's docstring."""
