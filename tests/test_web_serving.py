"""The console served by the real entry points, as a fresh clone's `make run` and `kocbot web` serve it: a
process on a loopback port answering /healthz, refusing a visitor without a session, stopping cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.support import PROJECT

STARTED_WITHIN = 60.0  # seconds: the imports alone take a few on a loaded 2-core machine


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def _kocbot(data: Path, *args: str, port: int, stdin: bool = False) -> Iterator[subprocess.Popen[str]]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KOCBOT_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "--data-dir", str(data), *args],
        cwd=PROJECT,
        env={**clean, "KOCBOT_WEB__PORT": str(port)},
        stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)


def _health(port: int, process: subprocess.Popen[str]) -> dict:
    """/healthz's report once the console answers (the process still running)."""
    deadline = time.monotonic() + STARTED_WITHIN
    while time.monotonic() < deadline:
        assert process.poll() is None, "kocbot stopped before its console answered"
        try:
            response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
        except httpx.TransportError:
            time.sleep(0.2)
            continue
        assert response.status_code == 200, response.text
        report: dict = response.json()
        return report
    raise AssertionError(f"no console on port {port} after {STARTED_WITHIN:.0f} s")


def _refuses_a_visitor(port: int) -> None:
    response = httpx.get(f"http://127.0.0.1:{port}/feedback", timeout=5, follow_redirects=False)
    assert response.status_code in (302, 303, 401), response.status_code
    assert "FB-" not in response.text


def test_kocbot_web_serves_the_console_alone_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = _free_port()
    with _kocbot(tmp_path / "data", "web", port=port) as process:
        report = _health(port, process)
        assert report["database"] == "ok" and report["transport"] == report["scheduler"] == "not in this process"
        _refuses_a_visitor(port)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert f"Web console: http://127.0.0.1:{port}" in err and "Traceback" not in err
    assert "the heap is settled" in (tmp_path / "data" / "kocbot.log").read_text(encoding="utf-8")


def test_kocbot_run_serves_the_console_beside_the_playground(tmp_path: Path) -> None:
    port = _free_port()
    with _kocbot(tmp_path / "data", "run", port=port, stdin=True) as process:
        report = _health(port, process)
        assert report["status"] == "ok" and report["database"] == "ok"
        assert report["transport"] == "connected" and report["scheduler"] in ("leader", "standby")
        _refuses_a_visitor(port)
        out, err = process.communicate("alice: /ping\n", timeout=60)  # then the end of input: the playground ends
    assert process.returncode == 0, err
    assert "[playground] kocbot: @alice 我在呢，一切正常。" in out
    assert f"Web console: http://127.0.0.1:{port}" in err and "Traceback" not in err
