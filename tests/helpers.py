"""Small functions that several test modules share (fixtures live in conftest.py, test data in
factories.py)."""

from __future__ import annotations

import io
from pathlib import Path

from pypdf import PdfReader


def _reader(pdf: bytes | Path) -> PdfReader:
    return PdfReader(io.BytesIO(pdf.read_bytes() if isinstance(pdf, Path) else pdf))


def pdf_text(pdf: bytes | Path) -> str:
    """The text of every page of a PDF (its bytes or a saved file), as one line: runs of
    whitespace, line breaks included, become one space, so a sentence that wraps still
    matches."""
    return " ".join(" ".join((page.extract_text() or "").split()) for page in _reader(pdf).pages)


def pdf_pages(pdf: bytes | Path) -> int:
    """How many pages a PDF has."""
    return len(_reader(pdf).pages)
