"""Service-recovery cases, the alerts owners see, and the public complaint form's throttle."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.modelbase import OrgOwned, utc_field, utcnow

# The seeds' promise: a mistake is fixed or the thing replaced within a day of hearing of it.
FIX_WINDOW_HOURS = 24


class CaseSource(StrEnum):
    complaint_form = "complaint_form"
    phone = "phone"
    in_person = "in_person"
    online_review = "online_review"
    shop = "shop"
    other = "other"


SOURCE_LABELS = {
    CaseSource.complaint_form: "Complaint form",
    CaseSource.phone: "Phone call",
    CaseSource.in_person: "In person",
    CaseSource.online_review: "Online review",
    CaseSource.shop: "Found by a mystery shop",
    CaseSource.other: "Other",
}


class Verdict(StrEnum):
    satisfied = "satisfied"
    partly = "partly"
    not_satisfied = "not_satisfied"


VERDICT_LABELS = {
    Verdict.satisfied: "Fully satisfied",
    Verdict.partly: "Partly satisfied",
    Verdict.not_satisfied: "Not satisfied",
}


class CauseCategory(StrEnum):
    people = "people"
    process = "process"
    product = "product"
    equipment = "equipment"
    communication = "communication"
    policy = "policy"
    supplier = "supplier"
    other = "other"


CAUSE_LABELS = {
    CauseCategory.people: "People (training, staffing, attitude)",
    CauseCategory.process: "Process (a step missing or unclear)",
    CauseCategory.product: "Product or service itself",
    CauseCategory.equipment: "Equipment or systems",
    CauseCategory.communication: "Communication (promise, information)",
    CauseCategory.policy: "Policy or rule",
    CauseCategory.supplier: "Supplier or partner",
    CauseCategory.other: "Other",
}


class RecoveryCase(OrgOwned, table=True):
    """One service mistake and how it was recovered, step by step.

    The steps follow the seeds' recovery plan: acknowledge, fix or replace (the window is
    FIX_WINDOW_HOURS from `reported_at`), surprise, follow up with the customer's verdict,
    then triage (what happened, why, what changes). A case found by the public complaint
    form starts without a touchpoint; the owner files it under one while triaging.
    """

    __tablename__ = "recovery_case"
    __table_args__ = (Index("ix_recovery_case_report", "touchpoint_id", "report_day"),)

    id: int | None = Field(default=None, primary_key=True)
    # A short random reference the customer sees on the thanks page (not the row id).
    reference: str = Field(sa_type=String(12), unique=True)
    touchpoint_id: int | None = Field(default=None, foreign_key="touchpoint.id", index=True)
    location_id: int | None = Field(
        default=None, foreign_key="location.id", index=True, ondelete="SET NULL"
    )
    shop_id: int | None = Field(default=None, foreign_key="shop.id", ondelete="SET NULL")
    source: CaseSource = Field(default=CaseSource.other, sa_type=String(20))
    reported_at: datetime = utc_field(default_factory=utcnow)
    summary: str = Field(default="", sa_type=Text)  # what happened, as the customer put it
    # Customer contact: optional, and removed after the organization's retention period.
    customer_name: str = Field(default="", sa_type=String(120))
    customer_contact: str = Field(default="", sa_type=String(200))
    # The language the customer wrote in (the complaint page's, app/i18n): the ready-made
    # replies to them are in it. None for cases the organization opened itself (English).
    language: str | None = Field(default=None, sa_type=String(8))
    contact_removed_at: datetime | None = utc_field(default=None)

    acknowledged_at: datetime | None = utc_field(default=None)
    acknowledged_note: str = Field(default="", sa_type=Text)
    fixed_at: datetime | None = utc_field(default=None)
    fix_note: str = Field(default="", sa_type=Text)
    surprised_at: datetime | None = utc_field(default=None)
    surprise_note: str = Field(default="", sa_type=Text)
    followed_up_at: datetime | None = utc_field(default=None)
    verdict: Verdict | None = Field(default=None, sa_type=String(16))
    follow_up_note: str = Field(default="", sa_type=Text)

    triage_what: str = Field(default="", sa_type=Text)
    cause_category: CauseCategory | None = Field(default=None, sa_type=String(16))
    triage_why: str = Field(default="", sa_type=Text)
    triage_change: str = Field(default="", sa_type=Text)
    champion: bool = False
    closed_at: datetime | None = utc_field(default=None)

    created_by: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = utc_field(default_factory=utcnow)
    updated_at: datetime = utc_field(default_factory=utcnow)
    # The calendar day, in the organization's time zone, of `reported_at`: what the
    # recovery rates' periods are made of (kept in step like Shop.report_day).
    report_day: date | None = None


class AlertKind(StrEnum):
    critical_fail = "critical_fail"
    below_target = "below_target"
    case_overdue = "case_overdue"


ALERT_LABELS = {
    AlertKind.critical_fail: "Critical question failed",
    AlertKind.below_target: "Below target",
    AlertKind.case_overdue: "Recovery case past 24 hours",
}


class Alert(OrgOwned, table=True):
    """Something an owner should look at. `key` makes raising the same alert twice harmless
    (a re-approved shop, a second run of the overdue check)."""

    __table_args__ = (UniqueConstraint("org_id", "key", name="uq_alert_org_key"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(sa_type=String(120))
    kind: AlertKind = Field(sa_type=String(20))
    message: str = Field(sa_type=Text)
    shop_id: int | None = Field(default=None, foreign_key="shop.id", ondelete="CASCADE")
    touchpoint_id: int | None = Field(default=None, foreign_key="touchpoint.id")
    recovery_case_id: int | None = Field(
        default=None, foreign_key="recovery_case.id", ondelete="CASCADE"
    )
    location_id: int | None = Field(default=None, foreign_key="location.id", ondelete="SET NULL")
    created_at: datetime = utc_field(default_factory=utcnow, index=True)
    emailed_at: datetime | None = utc_field(default=None)
    dismissed_at: datetime | None = utc_field(default=None)
    dismissed_by: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")


class PublicPost(SQLModel, table=True):
    """One post of the public complaint form, kept for throttling by address (shared by
    every worker, like login attempts). Not organization data: it holds no content."""

    __tablename__ = "public_post"

    id: int | None = Field(default=None, primary_key=True)
    address: str = Field(sa_type=String(64), index=True)
    created_at: datetime = utc_field(default_factory=utcnow, index=True)
