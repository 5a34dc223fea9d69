"""Transports: where the bot meets a chat platform (console, in-memory, Wechaty)."""
