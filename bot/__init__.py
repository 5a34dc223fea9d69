"""kocbot: the core of a bot for a brand's private WeChat communities."""

__version__ = "0.1.0"
