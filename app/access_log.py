"""Keeps secrets that travel in URL paths (invite links) out of the access log: a filter on
uvicorn's access logger, installed once by create_app, that shortens them before any
handler sees the line. Public complaint addresses are not secrets (they hang on posters)."""

from __future__ import annotations

import logging
import re

ACCESS_LOGGER = "uvicorn.access"
# A path segment that is a secret: /invite/<token> (and the same under any prefix).
SECRET_PATHS = re.compile(r"(/invite/)[^/?#\s]+")
REDACTED = r"\1[redacted]"


def redact(path: str) -> str:
    return SECRET_PATHS.sub(REDACTED, path)


class RedactSecrets(logging.Filter):
    """Rewrites the path in uvicorn's access record
    (`'%s - "%s %s HTTP/%s" %d'`: client, method, path, version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in args)
        elif isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


class QuietSuccess(logging.Filter):
    """Leaves out the line of a request that succeeded on one of `paths` (method, regular
    expression): the answer saves, a line for each of a shopper's taps, were a twentieth of
    a save's CPU (docs/performance.md, autosave). Their refusals and failures are logged."""

    def __init__(self, paths: tuple[tuple[str, re.Pattern[str]], ...]) -> None:
        super().__init__()
        self.paths = paths

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if not isinstance(args, tuple) or len(args) != 5 or args[4] != 200:
            return True
        method, path = args[1], args[2]
        return not any(m == method and p.fullmatch(str(path)) for m, p in self.paths)


def access_log_quiet_install(paths: tuple[tuple[str, re.Pattern[str]], ...]) -> None:
    """Add QuietSuccess for `paths` to uvicorn's access logger, once per process."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, QuietSuccess) for f in logger.filters):
        logger.addFilter(QuietSuccess(paths))


def access_log_redact_install() -> None:
    """Add the filter to uvicorn's access logger, once per process."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, RedactSecrets) for f in logger.filters):
        logger.addFilter(RedactSecrets())
