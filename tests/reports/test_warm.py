"""Always ready to print: approving a shop renders, in the background, the reports it changes
(the touchpoint reports of its touchpoints and the meeting pack, with the default filters)
into the PDF cache, so the next print of them is a cache hit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from app.db import Database
from app.modelbase import utcnow
from app.orgs.models import Role
from audits.models import ShopStatus
from audits.services import shop_approve
from reports.pdf.models import JobStatus, ReportJob
from tests.conftest import sign_in
from tests.factories import (
    make_answer,
    make_location,
    make_member,
    make_org,
    make_question,
    make_shop,
    make_touchpoint,
)
from tests.helpers import run_jobs

pytestmark = [pytest.mark.slow, pytest.mark.db]  # real WeasyPrint renders


def test_an_approved_shops_reports_are_printed_from_the_cache(
    app: Any, session: Session, db: Database, browser_factory: Any
) -> None:
    org = make_org(session, name="Harbour Bistro")
    owner = make_member(session, org, Role.owner)
    tp = make_touchpoint(session, org, name="Paying the bill")
    untouched = make_touchpoint(session, org, name="Saying goodbye")
    question = make_question(session, tp, kind="yes_no")
    shop = make_shop(
        session,
        org,
        location=make_location(session, org),
        touchpoints=[tp],
        status=ShopStatus.submitted,
        visited_at=utcnow() - timedelta(hours=2),
    )
    make_answer(session, shop, question, True)
    shop_approve(session=session, shop=shop, actor_id=owner.id)  # type: ignore[arg-type]
    [warm] = session.exec(select(ReportJob).where(ReportJob.kind == "warm")).all()
    assert warm.status == JobStatus.queued and warm.params == {"shops": [shop.id]}

    run_jobs(app)  # what the job worker does after the approval

    browser = sign_in(browser_factory(), db, owner, org)
    printed = browser.get(f"/reports/touchpoints/{tp.id}/pdf", params={"paper": "a4"})
    assert printed.status_code == 200
    assert printed.headers["x-touchstone-cache"] == "hit"
    # A touchpoint the shop did not cover was not rendered ahead.
    other = browser.get(f"/reports/touchpoints/{untouched.id}/pdf", params={"paper": "a4"})
    assert other.headers["x-touchstone-cache"] == "miss"
    # The default meeting pack is ready at once: its job is done without any job running.
    started = browser.form("/reports/pack", {"period": "month", "paper": "a4"})
    job_id = started.headers["location"].rsplit("/", 1)[1]  # type: ignore[attr-defined]
    assert "The meeting pack is ready." in browser.get(f"/reports/jobs/{job_id}").text
    with db.session() as fresh:
        assert fresh.get(ReportJob, warm.id).status == JobStatus.done  # type: ignore[union-attr]
