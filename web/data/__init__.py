"""What the console's pages read: plain queries over the bot's tables, bounded for large communities."""
