"""Imports every package's tables so that SQLModel.metadata is complete (migrations, tests)."""

from __future__ import annotations

from sqlmodel import SQLModel

import app.orgs.logo.models  # noqa: F401
import app.orgs.models  # noqa: F401
import app.outbox.models  # noqa: F401
import app.webhooks.models  # noqa: F401
import audits.board.models  # noqa: F401
import audits.expenses.models  # noqa: F401
import audits.feedback.models  # noqa: F401
import audits.models  # noqa: F401
import audits.pay.models  # noqa: F401
import audits.proof.models  # noqa: F401
import recovery.models  # noqa: F401
import reports.pdf.models  # noqa: F401
import reports.schedules.models  # noqa: F401
import touchpoints.models  # noqa: F401

metadata = SQLModel.metadata
