"""Owner and staff pages for shops: planning, the review queue, reading and approving."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
