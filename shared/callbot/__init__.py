"""callbot: the platform-neutral core of a chat bot that helps communities call Congress."""

__version__ = "0.1.0"
