"""Logging set-up: the detail goes to a log file in the data folder, warnings to stderr."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class OneLineFormatter(logging.Formatter):
    """For the terminal: one line a record, the exception named but never its traceback (that goes to the log
    file). Libraries log with tracebacks too (asyncio's "Task exception was never retrieved" when a gRPC stream
    is cut at shutdown): whoever runs kocbot sees a line, not a stack."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(self._with_message(record))
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            line += f" ({type(error).__name__}: {error}; the traceback is in kocbot.log)"
        return " ".join(line.splitlines())

    def _with_message(self, record: logging.LogRecord) -> logging.LogRecord:
        record.message = record.getMessage()
        if self.usesTime():
            record.asctime = self.formatTime(record, self.datefmt)
        return record


def setup_logging(data_dir: Path, console_level: str) -> None:
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    for handler in list(root.handlers):
        root.removeHandler(handler)
    stderr = logging.StreamHandler()
    stderr.setLevel(console_level.upper())
    stderr.setFormatter(OneLineFormatter(FORMAT))
    root.addHandler(stderr)
    data_dir.mkdir(parents=True, exist_ok=True)
    to_file = logging.handlers.RotatingFileHandler(
        data_dir / "kocbot.log", maxBytes=10_000_000, backupCount=5, encoding="utf-8"
    )
    to_file.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(to_file)
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)
