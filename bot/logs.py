"""Logging set-up: the detail goes to a log file in the data folder, warnings to stderr."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_logging(data_dir: Path, console_level: str) -> None:
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    for handler in list(root.handlers):
        root.removeHandler(handler)
    stderr = logging.StreamHandler()
    stderr.setLevel(console_level.upper())
    stderr.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(stderr)
    data_dir.mkdir(parents=True, exist_ok=True)
    to_file = logging.handlers.RotatingFileHandler(
        data_dir / "kocbot.log", maxBytes=10_000_000, backupCount=5, encoding="utf-8"
    )
    to_file.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(to_file)
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)
