"""The data folder: ready and writable before anything is written there, or refused in one line."""

from __future__ import annotations

import tempfile
from pathlib import Path

from bot.errors import DataDirError

FIX = "pass --data-dir (or set KOCBOT_DATA_DIR to) a folder kocbot may write into"


def prepare_data_dir(path: Path) -> None:
    """Create the folder if it is missing and prove a file can be made in it; a folder that fails is left as it was."""
    try:
        if path.exists() and not path.is_dir():
            raise DataDirError(f"the data folder {path} is a file, not a folder; {FIX}")
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass  # Linux makes it without a name (O_TMPFILE): nothing is left behind, even after a crash
    except OSError as exc:
        raise DataDirError(f"the data folder {path} cannot be used ({exc.strerror or exc}); {FIX}") from exc
