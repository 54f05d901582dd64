"""JSON API for the photos attached to answers."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["shops"])
