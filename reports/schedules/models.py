"""Report schedules and the record of each occurrence sent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, Text, UniqueConstraint
from sqlmodel import Field

from app.modelbase import OrgOwned, utc_field, utcnow


class ReportSchedule(OrgOwned, table=True):
    """A report (the meeting pack or one touchpoint's) mailed as a PDF, weekly or monthly at
    an hour of the organization's zone. `handled_until` is the moment up to which every
    occurrence has been sent or passed over: set to the time of saving (no report for the
    past), moved to each occurrence as it is sent, so after downtime only the latest missed
    occurrence goes (reports.schedules.jobs)."""

    __tablename__ = "report_schedule"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(default="pack", sa_type=String(12))  # "pack" or "touchpoint"
    touchpoint_id: int | None = Field(default=None, foreign_key="touchpoint.id", ondelete="CASCADE")
    period: str = Field(default="month", sa_type=String(10))  # week, month, quarter
    location_ids: list[int] = Field(default_factory=list, sa_type=JSON)
    region: str = Field(default="", sa_type=String(200))
    paper: str = Field(default="a4", sa_type=String(10))
    frequency: str = Field(default="weekly", sa_type=String(10))  # weekly, monthly
    weekday: int = 0  # 0 = Monday
    month_day: int = 1
    hour: int = 8
    recipients: str = Field(default="", sa_type=Text)  # addresses, comma-separated
    paused: bool = False
    handled_until: datetime = utc_field(default_factory=utcnow)
    created_by: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = utc_field(default_factory=utcnow)

    def report_params(self) -> dict[str, Any]:
        """The report's filters without dates: each occurrence gives its own range."""
        return {
            "period": self.period,
            "location": list(self.location_ids or []),
            "region": self.region,
            "paper": self.paper,
        }


class ReportSend(OrgOwned, table=True):
    """One occurrence of one schedule: made once (the unique pair), by the minute's check,
    before its job renders the PDF and puts the message in the outbox (`mail_id`)."""

    __tablename__ = "report_send"
    __table_args__ = (
        UniqueConstraint("schedule_id", "occurrence_at", name="uq_report_send_occurrence"),
    )

    id: int | None = Field(default=None, primary_key=True)
    schedule_id: int = Field(foreign_key="report_schedule.id", index=True, ondelete="CASCADE")
    occurrence_at: datetime = utc_field()
    mail_id: int | None = Field(default=None, foreign_key="outgoing_mail.id", ondelete="SET NULL")
    error: str = Field(default="", sa_type=Text)  # why no message could be made
    created_at: datetime = utc_field(default_factory=utcnow)
