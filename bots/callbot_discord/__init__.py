"""callbot on Discord: slash commands, buttons and modals in front of the platform-neutral core.

The adapter only translates: an interaction becomes an `Actor` and plain values, a core service
answers with a `Reply`, and `render` turns that into an embed with components. Entry points:
`callbot.adapters: discord` (`adapter.adapter`) and `callbot.cli: discord` (`cli.register`).
"""
