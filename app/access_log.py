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


def access_log_redact_install() -> None:
    """Add the filter to uvicorn's access logger, once per process."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, RedactSecrets) for f in logger.filters):
        logger.addFilter(RedactSecrets())
