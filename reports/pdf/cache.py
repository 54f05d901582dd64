"""Finished PDFs on disk, keyed by a fingerprint of everything that went into them.

A report's fingerprint covers its kind, its parameters, the template version and a stamp
of its data (for example the newest approval time and the count of approved shops), so the
same request over the same data is a file read, and any new approved shop gives a new key.
Old keys are never invalidated: they simply stop being asked for and age out.

The cache is plain files under data_dir, so every web process (uvicorn --workers N) shares
it without coordination: writes go to a temporary file that is renamed into place, which
is atomic, and two processes writing the same key write the same bytes.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import hashlib
import json
import os
import re
import tempfile
import uuid
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from datetime import time as dt_time
from decimal import Decimal
from pathlib import Path
from typing import Any

from app.clock import filesystem_now

_FINGERPRINT = re.compile(r"[0-9a-f]{16,128}")
_SUFFIX = ".pdf"
_TEMP_PREFIX = ".tmp-"
# Pruning lists the folder, so it is done on writes only, and lets the folder shrink a
# little below the limit so the next few writes do not each prune again.
_PRUNE_TO = 0.9
# A temporary file this old was left by a process that died mid-write.
_STALE_TEMP_SECONDS = 3600


class PdfCache:
    def __init__(self, directory: Path, max_files: int) -> None:
        if max_files < 1:
            raise ValueError("max_files must be at least 1")
        self.directory = Path(directory)
        self.max_files = max_files

    def path(self, key: str) -> Path:
        """Where the PDF for this fingerprint lives. Only hex keys: no path tricks."""
        if not isinstance(key, str) or not _FINGERPRINT.fullmatch(key):
            raise ValueError("a PDF cache key must be a lowercase hex fingerprint")
        return self.directory / f"{key}{_SUFFIX}"

    def get(self, key: str) -> bytes | None:
        path = self.path(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            os.utime(path)  # recently used: pruned last
        except OSError:
            pass  # pruned by another process meanwhile; the bytes read are still good
        return data

    def put(self, key: str, data: bytes) -> None:
        path = self.path(key)
        self.directory.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=_TEMP_PREFIX, suffix=_SUFFIX, dir=self.directory)
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
            os.replace(temp, path)
        except BaseException:
            try:
                os.unlink(temp)
            except FileNotFoundError:
                pass
            raise
        self.prune()

    def prune(self) -> int:
        """Delete the least recently used PDFs beyond max_files; returns how many went."""
        entries: list[tuple[float, str]] = []
        now = filesystem_now(self.directory)
        try:
            scan = os.scandir(self.directory)
        except FileNotFoundError:
            return 0
        with scan:
            for entry in scan:
                try:
                    mtime = entry.stat().st_mtime
                except FileNotFoundError:
                    continue
                if entry.name.startswith(_TEMP_PREFIX):
                    if now - mtime > _STALE_TEMP_SECONDS:
                        _unlink(entry.path)
                elif entry.name.endswith(_SUFFIX):
                    entries.append((mtime, entry.path))
        if len(entries) <= self.max_files:
            return 0
        keep = int(self.max_files * _PRUNE_TO)
        entries.sort()
        doomed = entries[: len(entries) - keep]
        for _, path in doomed:
            _unlink(path)
        return len(doomed)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass  # another process pruned it first


def pdf_cache(settings: Any) -> PdfCache:
    """The cache for this deployment (cheap to build: it holds no state of its own)."""
    return PdfCache(settings.data_dir / "report-pdfs", settings.report_cache_max_files)


# -- fingerprints ----------------------------------------------------------------------------


def _canonical(value: Any) -> Any:
    # Dates as ISO text; datetime before date, as it is a subclass.
    if isinstance(value, datetime | date | dt_time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        # Normalised so 1.50 and 1.5 agree; the exponent form keeps it exact.
        return f"decimal:{value.normalize()}"
    if isinstance(value, uuid.UUID | Path):
        return str(value)
    if isinstance(value, enum.Enum):
        return _canonical(value.value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, set | frozenset):
        return sorted(value, key=_sort_key)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if hasattr(value, "model_dump"):  # pydantic / SQLModel
        return value.model_dump(mode="json")
    # Anything else would be str()'d into something unstable, like a memory address.
    raise TypeError(f"cannot fingerprint a {type(value).__name__}")


def _sort_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=_canonical)


def fingerprint(*parts: Any) -> str:
    """sha256 (hex) of the parts as canonical JSON: same parts, same key, in any process.

    Dicts are compared by content (keys sorted); dates, datetimes, Decimals, UUIDs, enums,
    sets, dataclasses and pydantic models are turned into plain values first.
    """
    text = json.dumps(
        list(parts),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=_canonical,
    )
    return hashlib.sha256(b"touchstone-pdf-1\0" + text.encode()).hexdigest()


# -- template version ------------------------------------------------------------------------


def template_version(paths: Iterable[Path | str]) -> str:
    """sha256 (hex) of the files given and of every file under the folders given.

    Changing a report template or the print CSS changes it, so cached PDFs of the old
    layout are not served again. Computed once per process for the same list of paths.
    """
    return _template_version(tuple(str(Path(p).resolve()) for p in paths))


@functools.lru_cache(maxsize=16)
def _template_version(paths: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    for root in paths:
        base = Path(root)
        if base.is_dir():
            files = sorted(p for p in base.rglob("*") if p.is_file())
        elif base.is_file():
            files = [base]
        else:
            raise FileNotFoundError(root)
        for file in files:
            name = file.relative_to(base.parent).as_posix()
            content = file.read_bytes()
            digest.update(f"{name}\0{len(content)}\0".encode())
            digest.update(content)
    return digest.hexdigest()


def forget_template_versions() -> None:
    """Recompute template versions on next use (tests; a dev server after an edit)."""
    _template_version.cache_clear()
