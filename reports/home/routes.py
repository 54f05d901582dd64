"""The start page each role lands on: an owner's counts, a shopper's shops, the reports for
staff. It sits in the top layer because it draws on every package below."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.modelbase import utcnow
from app.orgs import queries
from app.orgs.models import Role
from app.templating import render
from app.tenancy import MemberDep
from audits.board.queries import job_cards, jobs_for_shopper
from audits.models import OPEN_STATES
from audits.queries import shop_status_counts, shopper_cards
from reports.home.overview import owner_day
from reports.routes import overview_context
from touchpoints.queries import journey

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(request: Request, tenant: MemberDep) -> Response:
    context: dict[str, object] = {}
    if tenant.role == Role.owner:
        context["location_count"] = len(queries.locations_list(session=tenant.session))
        context["member_count"] = len(
            queries.members_list(session=tenant.session, org_id=tenant.org_id)
        )
        context["invite_count"] = len(queries.invites_pending(session=tenant.session))
        context["touchpoint_count"] = sum(len(v.touchpoints) for v in journey(tenant.session))
        context["shop_counts"] = shop_status_counts(tenant.session)
        context["day"] = owner_day(tenant.session, tenant.org, now=utcnow())
    elif tenant.role == Role.shopper:
        context["cards"] = shopper_cards(tenant.session, tenant.user_id)
        context["OPEN_STATES"] = OPEN_STATES
        # What the shopper needs to go (address and map, window, fee), and the open jobs.
        shops = [c.shop for c in context["cards"]]  # type: ignore[attr-defined]
        going = job_cards(tenant.session, shops, tz=tenant.org.timezone, now=utcnow())
        context["go_cards"] = {c.shop.id: c for c in going}
        context["job_count"] = len(jobs_for_shopper(tenant.session, tenant.user_id))
    else:  # staff start on the reports home, with its usual filters
        context, _ = overview_context(tenant, request)
        return render(request, "reports/home.html", context)
    return render(request, f"orgs/home_{tenant.role.value}.html", context)
