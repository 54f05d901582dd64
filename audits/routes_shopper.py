"""The shopper's phone pages: my shops and the fill flow that never loses an answer."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
