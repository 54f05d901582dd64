"""Report jobs: a meeting pack printing in the background, its progress visible to any worker."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, String, Text
from sqlmodel import Field

from app.modelbase import OrgOwned, utc_field, utcnow


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class ReportJob(OrgOwned, table=True):
    """One requested meeting pack. The row, not the process that prints it, holds the
    progress, so a poll answered by another web worker sees the same state; the PDF itself
    lies in the shared PDF cache under `fingerprint`."""

    __tablename__ = "report_job"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    kind: str = Field(default="pack", sa_type=String(20))
    params: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    status: JobStatus = Field(default=JobStatus.queued, sa_type=String(12))
    done: int = 0
    total: int = 0
    step: str = Field(default="", sa_type=String(200))  # "Printing First phone call"
    message: str = Field(default="", sa_type=Text)  # why it failed
    fingerprint: str = Field(default="", sa_type=String(64))
    created_by: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = utc_field(default_factory=utcnow)
    finished_at: datetime | None = utc_field(default=None)
