"""A real OpenID Connect provider for the single sign-on tests: tests/oidc/provider.mjs, the
certified `oidc-provider` npm package run with Node.

`npm ci` installs the locked package into tests/oidc/node_modules on first use (once per
lock file: a stamp names the lock file's digest), under a file lock so that two pytest-xdist
workers never install at the same time.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import selectors
import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent / "oidc"
STAMP = HERE / "node_modules" / ".touchstone-installed"
CLIENT_ID = "touchstone"
CLIENT_SECRET = "provider-test-client-secret"
PASSWORD = "provider-password"
START_SECONDS = 120  # an upper bound: Node starts in a second on a quiet machine
INSTALL_SECONDS = 600  # an upper bound for `npm ci` from the registry


@dataclass(frozen=True)
class Account:
    email: str
    email_verified: bool
    name: str


@dataclass(frozen=True)
class Provider:
    issuer: str
    client_id: str
    client_secret: str
    password: str  # of every account

    def settings_env(self, name: str = "Test Identity") -> dict[str, str]:
        """Touchstone's settings that point at this provider."""
        return {
            "OIDC_ISSUER": self.issuer,
            "OIDC_CLIENT_ID": self.client_id,
            "OIDC_CLIENT_SECRET": self.client_secret,
            "OIDC_NAME": name,
        }


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def node() -> str:
    found = shutil.which("node")
    if found is None:
        pytest.fail("Node.js is not installed; the single sign-on tests need it.", pytrace=False)
    return found


def ensure_installed() -> None:
    """`npm ci` into tests/oidc once for this package-lock.json."""
    wanted = hashlib.sha256((HERE / "package-lock.json").read_bytes()).hexdigest()
    with (HERE / ".install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the other worker waits here until it is done
        if STAMP.exists() and STAMP.read_text() == wanted:
            return
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("npm is not installed; the single sign-on tests need it.", pytrace=False)
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=HERE,
            capture_output=True,
            text=True,
            timeout=INSTALL_SECONDS,
            check=False,
        )
        if done.returncode != 0:
            pytest.fail(f"npm ci in {HERE} failed:\n{done.stdout}\n{done.stderr}", pytrace=False)
        STAMP.write_text(wanted)


@contextmanager
def running_provider(
    redirect_uris: list[str], accounts: list[Account], log: Path
) -> Iterator[Provider]:
    """The provider on a free port, with one client (Touchstone, at these callback
    addresses) and these accounts."""
    ensure_installed()
    port = free_port()
    env = {
        **os.environ,
        "OIDC_PORT": str(port),
        "OIDC_CLIENT_ID": CLIENT_ID,
        "OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "OIDC_REDIRECT_URI": ",".join(redirect_uris),
        "OIDC_ACCOUNTS": json.dumps([a.__dict__ for a in accounts]),
        "OIDC_PASSWORD": PASSWORD,
    }
    with log.open("wb") as errors:
        proc = subprocess.Popen(
            [node(), str(HERE / "provider.mjs")],
            cwd=HERE,
            env=env,
            stdout=subprocess.PIPE,
            stderr=errors,
        )
    try:
        assert proc.stdout is not None
        # The first line is "ready <issuer>" once it listens (or nothing, if it died).
        line = _first_line(proc, START_SECONDS)
        if not line.startswith("ready "):
            pytest.fail(
                f"the OpenID provider did not start ({line!r}):\n{log.read_text()[-3000:]}",
                pytrace=False,
            )
        yield Provider(
            issuer=line.split(" ", 1)[1].strip(),
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            password=PASSWORD,
        )
    finally:
        if proc.stdout is not None:
            proc.stdout.close()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _first_line(proc: subprocess.Popen[bytes], seconds: float) -> str:
    """The provider's first line of output, waiting at most `seconds` for it."""
    assert proc.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        if not selector.select(timeout=seconds):
            return ""
    return proc.stdout.readline().decode(errors="replace")
