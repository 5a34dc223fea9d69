"""A stand-in for a PostgreSQL server that asks for a password and refuses it (the local one trusts everyone)."""

from __future__ import annotations

import socket
import socketserver
import struct
import threading
from typing import Self

SSL_REQUEST, GSSENC_REQUEST = 80877103, 80877104


def _exactly(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise ConnectionError("the client went away")
        data += chunk
    return data


def _startup(conn: socket.socket) -> None:
    """Read the startup message, declining SSL and GSS encryption first (answer N, as a server without them)."""
    while True:
        (length,) = struct.unpack(">i", _exactly(conn, 4))
        body = _exactly(conn, length - 4)
        if struct.unpack(">i", body[:4])[0] not in (SSL_REQUEST, GSSENC_REQUEST):
            return
        conn.sendall(b"N")


def _error(sqlstate: str, message: str) -> bytes:
    fields = b"".join(
        code + text.encode() + b"\0"
        for code, text in ((b"S", "FATAL"), (b"V", "FATAL"), (b"C", sqlstate), (b"M", message))
    )
    return b"E" + struct.pack(">i", len(fields) + 5) + fields + b"\0"


class PasswordRefusingServer:
    """Listens on a free loopback port; every login is asked for a cleartext password, which is refused
    with SQLSTATE 28P01 as PostgreSQL does. `passwords` lists what the clients sent."""

    def __init__(self) -> None:
        self.passwords: list[str] = []
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                conn: socket.socket = self.request
                try:
                    _startup(conn)
                    conn.sendall(b"R" + struct.pack(">ii", 8, 3))  # AuthenticationCleartextPassword
                    kind, length = _exactly(conn, 1), struct.unpack(">i", _exactly(conn, 4))[0]
                    password = _exactly(conn, length - 4).rstrip(b"\0").decode()
                    if kind == b"p":
                        outer.passwords.append(password)
                    conn.sendall(_error("28P01", 'password authentication failed for user "kocbot"'))
                except ConnectionError:
                    pass

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port: int = self._server.server_address[1]

    def __enter__(self) -> Self:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
