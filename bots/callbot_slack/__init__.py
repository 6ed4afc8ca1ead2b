"""callbot on Slack: slash commands, Block Kit messages, modals and an App Home in front of the
platform-neutral core, served by slack-bolt's AsyncApp.

The adapter only translates: a request becomes an `Actor` and plain values, a core service
answers with a `Reply`, and `render` turns that into blocks. Two ways to run: Socket Mode for
one self-hosted workspace, and HTTP mode with OAuth installation to many. Entry points:
`callbot.adapters: slack` (`adapter.adapter`) and `callbot.cli: slack` (`cli.register`).
"""
