"""Alembic migrations: the one schema history of the whole application."""
