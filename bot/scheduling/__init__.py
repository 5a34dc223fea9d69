"""Scheduling: APScheduler 3's triggers and SQLAlchemy job store, driven by the bot's clock and due loop."""
