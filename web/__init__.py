"""The moderators' web console: server-rendered pages over the bot's own database, services and commands."""
