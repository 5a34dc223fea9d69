"""The terminal gets one line a record: a library's traceback goes to the log file only."""

from __future__ import annotations

import asyncio
import gc
import logging
from pathlib import Path

from bot.logs import setup_logging


def test_a_never_retrieved_task_exception_is_one_line_on_stderr_and_in_full_in_the_log(tmp_path: Path, capsys) -> None:
    setup_logging(tmp_path, "WARNING")
    try:

        async def cut() -> None:
            raise ConnectionError("Connection lost\nby the peer")

        async def main() -> None:
            asyncio.get_running_loop().create_task(cut())
            await asyncio.sleep(0.01)

        asyncio.run(main())
        gc.collect()  # the task is gone: asyncio reports "Task exception was never retrieved"
        for handler in logging.getLogger().handlers:
            handler.flush()
        stderr = capsys.readouterr().err
        log = (tmp_path / "kocbot.log").read_text(encoding="utf-8")
    finally:
        for handler in list(logging.getLogger().handlers):
            logging.getLogger().removeHandler(handler)
            handler.close()
    [line] = stderr.splitlines()
    assert "Task exception was never retrieved" in line
    assert "ConnectionError: Connection lost by the peer; the traceback is in kocbot.log" in line
    assert "Traceback" not in stderr
    assert "Traceback (most recent call last)" in log and 'raise ConnectionError("Connection lost' in log
