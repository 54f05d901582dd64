"""JSON API for shops: planning, my shops, answers, submission and review."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["shops"])
