"""A phone's signal that a test can really cut: a TCP relay between one browser context and
the live server, used as that context's HTTP proxy.

Chromium's offline emulation (and Playwright's request routing) is applied to each page and
worker from outside, and a reloaded page can send a request before it is applied: a queued
photo removal reached the server "without signal" in CI, and in a loop of reloads it did
every few tries. Through the relay, nothing reaches the server while the signal is cut,
whatever the browser does: new connections are closed at once and open ones are dropped.

Chromium sends a proxy the request line in absolute form (`GET http://127.0.0.1:…/x`), which
the server (uvicorn with httptools) accepts, so the relay copies bytes without reading them.
"""

from __future__ import annotations

import socket
import threading
from contextlib import suppress


class Relay:
    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.cut = False
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def proxy(self) -> dict[str, str]:
        """Playwright's `proxy=` for a context; `<-loopback>` sends loopback through it too."""
        return {"server": f"http://127.0.0.1:{self.port}", "bypass": "<-loopback>"}

    def set_signal(self, on: bool) -> None:
        with self._lock:
            self.cut = not on
            dropped = list(self._open) if not on else []
            if not on:
                self._open.clear()
        for sock in dropped:
            _close(sock)

    def close(self) -> None:
        self.set_signal(False)
        _close(self.listener)
        self._thread.join(timeout=10)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            with self._lock:
                if self.cut:
                    _close(client)
                    continue
            try:
                server = socket.create_connection(self.upstream, timeout=30)
            except OSError:
                _close(client)
                continue
            server.settimeout(None)
            with self._lock:
                if self.cut:
                    _close(client)
                    _close(server)
                    continue
                self._open.update((client, server))
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            with self._lock:
                self._open.discard(source)
                self._open.discard(sink)
            _close(source)
            _close(sink)


def _close(sock: socket.socket) -> None:
    with suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with suppress(OSError):
        sock.close()
