"""Action items: services, the /actions page and the touchpoint's list, and the JSON API."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from html import unescape
from typing import Any

import pytest
from sqlmodel import Session, select

from actions import services as svc
from app.db import Database
from app.errors import DomainError
from app.orgs.models import Organization, Role
from app.tenancy import MSG_FORBIDDEN, scope_session, unscoped
from tests.conftest import Browser, sign_in
from tests.factories import (
    make_action_item,
    make_member,
    make_org,
    make_recovery_case,
    make_shop,
    make_token,
    make_touchpoint,
)
from touchpoints.measures.services import org_today
from touchpoints.models import ActionItem, ActionStatus, Touchpoint

pytestmark = pytest.mark.db

TITLE = re.compile(r'<p class="action-title">(.*?)(?: <span class="saved"|</p>)')


@dataclass
class World:
    org: Organization
    phone: Touchpoint
    bill: Touchpoint


def _two_touchpoints(session: Session) -> World:
    org = make_org(session, name="Harbour Bikes", timezone="UTC")
    phone = make_touchpoint(session, org, name="First phone call", team="Front desk")
    bill = make_touchpoint(session, org, name="Paying the bill", team="Accounts")
    scope_session(session, org.id)  # type: ignore[arg-type]
    return World(org, phone, bill)


def _titles(html: str) -> list[str]:
    return [unescape(t) for t in TITLE.findall(html)]


def _item(session: Session, item_id: int) -> ActionItem:
    session.rollback()
    session.expire_all()
    item = session.get(ActionItem, item_id)
    assert item is not None
    return item


# --- services ------------------------------------------------------------------------------


def test_status_moves_stamp_and_clear_the_closing_time(session: Session) -> None:
    w = _two_touchpoints(session)
    item = make_action_item(session, w.phone)
    svc.action_item_set_status(session=session, item=item, status=ActionStatus.doing)
    assert item.closed_at is None
    svc.action_item_set_status(session=session, item=item, status=ActionStatus.done)
    assert item.closed_at is not None
    svc.action_item_set_status(session=session, item=item, status=ActionStatus.open)
    assert item.closed_at is None
    with pytest.raises(DomainError, match=svc.MSG_STATUS):
        svc.action_status_parse("finished")


def test_the_list_puts_overdue_open_items_first(session: Session) -> None:
    w = _two_touchpoints(session)
    today = date(2026, 11, 18)
    make_action_item(session, w.phone, title="No date")
    make_action_item(session, w.phone, title="Due next week", due_on=today + timedelta(days=7))
    make_action_item(session, w.bill, title="Late by a day", due_on=today - timedelta(days=1))
    make_action_item(session, w.phone, title="Late by a month", due_on=today - timedelta(days=30))
    make_action_item(session, w.phone, title="Due today", due_on=today)
    done = make_action_item(session, w.bill, title="Done long ago", due_on=date(2026, 1, 1))
    svc.action_item_set_status(session=session, item=done, status=ActionStatus.done)
    session.commit()

    listed = svc.action_items_list(session, filters=svc.ActionFilter(), today=today)
    assert [i.title for i in listed] == [
        "Late by a month",
        "Late by a day",
        "Due today",
        "Due next week",
        "No date",
    ]
    everything = svc.action_items_list(session, filters=svc.ActionFilter(scope="all"), today=today)
    assert everything[-1].title == "Done long ago"  # closed items come last, never "overdue"
    assert not svc.action_item_is_overdue(everything[-1], today)
    only_bill = svc.ActionFilter(touchpoint_id=w.bill.id, scope="all")
    assert [i.title for i in svc.action_items_list(session, filters=only_bill, today=today)] == [
        "Late by a day",
        "Done long ago",
    ]


def test_where_an_item_came_from_must_be_named_and_ours(session: Session) -> None:
    w = _two_touchpoints(session)
    with unscoped(session):
        other = make_org(session)
        foreign_shop = make_shop(session, other)

    def create(**fields: Any) -> ActionItem:
        return make_action_item(session, w.phone, **fields)

    cases = [
        ({"source": "meeting"}, svc.MSG_MEETING_DATE, "meeting_on"),
        ({"source": "shop"}, svc.MSG_SHOP_NEEDED, "shop_id"),
        ({"source": "recovery_case"}, svc.MSG_CASE_NEEDED, "recovery_case_id"),
        ({"source": "shop", "shop_id": foreign_shop.id}, svc.MSG_SHOP_UNKNOWN, "shop_id"),
        ({"source": "recovery_case", "recovery_case_id": 999}, svc.MSG_CASE_UNKNOWN, None),
    ]
    for fields, message, field in cases:
        with pytest.raises(DomainError) as caught:
            create(**fields)
        session.rollback()
        assert caught.value.message == message
        assert caught.value.field == (field or "recovery_case_id")
    case = make_recovery_case(session, w.org, touchpoint_id=w.phone.id)
    item = create(source="recovery_case", recovery_case_id=case.id)
    assert item.recovery_case_id == case.id


# --- pages ---------------------------------------------------------------------------------


def _signed_in(client: Browser, session: Session, db: Database, role: Role) -> World:
    w = _two_touchpoints(session)
    user = make_member(session, w.org, role)
    sign_in(client, db, user, w.org)
    return w


def test_owner_adds_an_item_on_the_touchpoint_page_and_moves_it_to_done(
    client: Browser, session: Session, db: Database
) -> None:
    w = _signed_in(client, session, db, Role.owner)
    page = client.get(f"/touchpoints/{w.phone.id}")
    assert f'hx-get="/touchpoints/{w.phone.id}/actions"' in page.text  # the panel loads itself

    panel = client.htmx("GET", f"/touchpoints/{w.phone.id}/actions")
    assert "No action items for this touchpoint yet." in panel.text  # type: ignore[attr-defined]
    # The team field suggests the touchpoint's team and says why it is a team.
    assert 'value="Front desk"' in panel.text  # type: ignore[attr-defined]
    assert "A team, not a person" in panel.text  # type: ignore[attr-defined]

    url = f"/touchpoints/{w.phone.id}/actions"
    form = {"title": "", "team": "Front desk", "source": "meeting", "meeting_on": "2026-11-12"}
    missing = client.htmx("POST", url, form)
    assert missing.status_code == 400  # type: ignore[attr-defined]
    assert re.search(
        r'id="tpa-title"[^>]*aria-invalid="true"[^>]*>\s*<p class="error" id="tpa-title-error">'
        + re.escape(svc.MSG_TITLE),
        missing.text,  # type: ignore[attr-defined]
    )
    no_date = client.htmx(
        "POST", url, {**form, "title": "Answer by the third ring", "meeting_on": ""}
    )
    assert no_date.status_code == 400  # type: ignore[attr-defined]
    assert 'id="tpa-meeting_on-error">' + svc.MSG_MEETING_DATE in no_date.text  # type: ignore[attr-defined]

    # References that do not belong to the chosen source are ignored, not refused.
    added = client.htmx(
        "POST", url, {**form, "title": "Answer by the third ring", "shop_id": "424242"}
    )
    assert added.status_code == 200  # type: ignore[attr-defined]
    text = unescape(added.text)  # type: ignore[attr-defined]
    assert "Added: Answer by the third ring" in text
    assert "From:" in text and "staff meeting of 12 Nov 2026" in text
    item = session.exec(select(ActionItem)).one()
    assert (item.team, item.meeting_on, item.shop_id) == ("Front desk", date(2026, 11, 12), None)

    started = client.htmx("POST", f"/actions/{item.id}/status?in=tp", {"status": "doing"})
    assert "Doing" in started.text and "Saved" in started.text  # type: ignore[attr-defined]
    assert _item(session, item.id).status == ActionStatus.doing  # type: ignore[arg-type]
    done = client.htmx("POST", f"/actions/{item.id}/status?in=tp", {"status": "done"})
    assert ">Reopen<" in done.text  # type: ignore[attr-defined]
    assert _item(session, item.id).closed_at is not None  # type: ignore[arg-type]
    bad = client.htmx("POST", f"/actions/{item.id}/status", {"status": "finished"})
    assert bad.status_code == 400  # type: ignore[attr-defined]


def test_edit_inline_and_delete(client: Browser, session: Session, db: Database) -> None:
    w = _signed_in(client, session, db, Role.owner)
    item = make_action_item(session, w.phone, title="Greet at the door", team="Floor")
    edit = client.htmx("GET", f"/actions/{item.id}/edit")
    assert 'value="Greet at the door"' in edit.text  # type: ignore[attr-defined]
    assert "Delete" in edit.text and "hx-confirm" in edit.text  # type: ignore[attr-defined]
    saved = client.htmx(
        "POST",
        f"/actions/{item.id}",
        {
            "touchpoint_id": str(w.bill.id),
            "title": "Greet within a minute",
            "team": "Floor",
            "due_on": "2026-12-01",
            "source": "other",
        },
    )
    assert saved.status_code == 200  # type: ignore[attr-defined]
    assert _titles(saved.text) == ["Greet within a minute"]  # type: ignore[attr-defined]
    stored = _item(session, item.id)  # type: ignore[arg-type]
    assert (stored.touchpoint_id, stored.due_on) == (w.bill.id, date(2026, 12, 1))

    bad = client.htmx(
        "POST", f"/actions/{item.id}", {"title": "x", "source": "other", "due_on": "someday"}
    )
    assert bad.status_code == 400  # type: ignore[attr-defined]
    assert 'id="a' + str(item.id) + '-due_on-error"' in bad.text  # type: ignore[attr-defined]

    gone = client.htmx("POST", f"/actions/{item.id}/delete")
    assert gone.status_code == 200 and gone.text == ""  # type: ignore[attr-defined]
    session.rollback()
    assert session.exec(select(ActionItem)).all() == []


def test_actions_page_filters_and_orders(client: Browser, session: Session, db: Database) -> None:
    w = _signed_in(client, session, db, Role.owner)
    today = org_today("UTC")
    make_action_item(
        session, w.phone, title="Later", team="Front desk", due_on=today + timedelta(9)
    )
    make_action_item(session, w.bill, title="Late", team="Accounts", due_on=today - timedelta(3))
    closed = make_action_item(session, w.bill, title="Finished", team="Accounts")
    svc.action_item_set_status(session=session, item=closed, status=ActionStatus.done)
    session.commit()

    page = client.get("/actions")
    assert page.status_code == 200
    assert _titles(page.text) == ["Late", "Later"]
    assert "2 items · " in page.text and "1 overdue" in page.text
    assert "Overdue · was due" in page.text  # said in words, not by colour alone
    assert _titles(client.get("/actions?status=all").text) == ["Late", "Later", "Finished"]
    assert _titles(client.get("/actions?status=done").text) == ["Finished"]
    assert _titles(client.get(f"/actions?touchpoint_id={w.phone.id}").text) == ["Later"]
    assert _titles(client.get("/actions?team=Accounts&status=all").text) == ["Late", "Finished"]
    # Nonsense in the address is no filter at all, not an error.
    odd = client.get("/actions?status=%3Cx%3E&touchpoint_id=abc&team=" + "x" * 500)
    assert odd.status_code == 200 and _titles(odd.text) == []

    # Adding from /actions keeps the filter and needs a touchpoint.
    url = f"/actions?touchpoint_id={w.phone.id}"
    no_tp = client.htmx("POST", url, {"title": "Call back", "source": "other"})
    assert no_tp.status_code == 400  # type: ignore[attr-defined]
    assert svc.MSG_TOUCHPOINT_UNKNOWN in unescape(no_tp.text)  # type: ignore[attr-defined]
    added = client.htmx(
        "POST", url, {"title": "Call back", "source": "other", "touchpoint_id": str(w.phone.id)}
    )
    assert _titles(added.text) == ["Later", "Call back"]  # type: ignore[attr-defined]


def test_sources_link_back_and_text_is_escaped(
    client: Browser, session: Session, db: Database
) -> None:
    w = _signed_in(client, session, db, Role.owner)
    shop = make_shop(session, w.org, touchpoints=[w.phone])
    case = make_recovery_case(session, w.org, touchpoint_id=w.phone.id)
    make_action_item(session, w.phone, title="<script>x()</script>", source="shop", shop_id=shop.id)
    make_action_item(
        session, w.phone, title="Refund faster", source="recovery_case", recovery_case_id=case.id
    )
    page = client.get("/actions")
    assert f'<a href="/shops/{shop.id}">mystery shop #{shop.id}</a>' in page.text
    assert f'<a href="/recovery/{case.id}">recovery case {case.reference}</a>' in page.text
    assert "<script>x()</script>" not in page.text and "&lt;script&gt;" in page.text


def test_staff_read_but_do_not_write(client: Browser, session: Session, db: Database) -> None:
    w = _signed_in(client, session, db, Role.viewer)
    item = make_action_item(session, w.phone, title="Answer by the third ring")
    page = client.get("/actions")
    assert page.status_code == 200 and _titles(page.text) == ["Answer by the third ring"]
    assert "Add an action item" not in page.text and "hx-post" not in page.text.split("<main")[1]
    panel = client.htmx("GET", f"/touchpoints/{w.phone.id}/actions")
    assert "Answer by the third ring" in panel.text  # type: ignore[attr-defined]
    assert ">Done<" not in panel.text  # type: ignore[attr-defined]
    refused = client.htmx("POST", f"/actions/{item.id}/status", {"status": "done"})
    assert refused.status_code == 403  # type: ignore[attr-defined]
    assert _item(session, item.id).status == ActionStatus.open  # type: ignore[arg-type]


# --- API -----------------------------------------------------------------------------------


def _api(client: Browser, session: Session, role: Role) -> tuple[World, dict[str, str]]:
    w = _two_touchpoints(session)
    user = make_member(session, w.org, role)
    return w, {"Authorization": f"Bearer {make_token(session, w.org, user)}"}


def test_api_crud_and_status(client: Browser, session: Session) -> None:
    w, auth = _api(client, session, Role.owner)
    base = "/api/v1"
    body = {"title": "Answer by the third ring", "team": "Front desk", "due_on": "2026-01-05"}
    created = client.post(f"{base}/touchpoints/{w.phone.id}/action-items", json=body, headers=auth)
    assert created.status_code == 201, created.text
    item = created.json()
    assert item["status"] == "open" and item["overdue"] is True and item["source"] == "other"

    no_title = client.post(
        f"{base}/touchpoints/{w.phone.id}/action-items", json={"title": " "}, headers=auth
    )
    assert no_title.status_code == 422 and no_title.json()["detail"][0]["loc"] == ["body", "title"]
    meeting = client.post(
        f"{base}/touchpoints/{w.phone.id}/action-items",
        json={"title": "x", "source": "meeting"},
        headers=auth,
    )
    assert meeting.status_code == 400
    assert meeting.json() == {"detail": svc.MSG_MEETING_DATE, "field": "meeting_on"}

    url = f"{base}/action-items/{item['id']}"
    patched = client.patch(url, json={"due_on": None, "touchpoint_id": w.bill.id}, headers=auth)
    assert patched.status_code == 200
    assert patched.json()["due_on"] is None and patched.json()["touchpoint_id"] == w.bill.id
    assert patched.json()["title"] == "Answer by the third ring"
    nulled = client.patch(url, json={"title": None}, headers=auth)
    assert nulled.status_code == 400 and nulled.json()["field"] == "title"

    moved = client.put(url + "/status", json={"status": "done"}, headers=auth)
    assert moved.json()["status"] == "done" and moved.json()["closed_at"]
    wrong = client.put(url + "/status", json={"status": "finished"}, headers=auth)
    assert wrong.status_code == 422

    assert client.get(f"{base}/action-items", headers=auth).json() == []  # open only by default
    everything = client.get(f"{base}/action-items?include_closed=true", headers=auth).json()
    assert [i["id"] for i in everything] == [item["id"]]
    listed = client.get(f"{base}/touchpoints/{w.bill.id}/action-items", headers=auth).json()
    assert [i["id"] for i in listed] == [item["id"]]
    assert client.delete(url, headers=auth).status_code == 204
    assert client.get(url, headers=auth).status_code == 404


@pytest.mark.parametrize("role", [Role.viewer, Role.shopper])
def test_api_writes_are_for_owners(client: Browser, session: Session, role: Role) -> None:
    w, auth = _api(client, session, role)
    item = make_action_item(session, w.phone)
    url = f"/api/v1/action-items/{item.id}"
    write = client.put(url + "/status", json={"status": "done"}, headers=auth)
    assert write.status_code == 403 and write.json()["detail"] == MSG_FORBIDDEN
    assert client.delete(url, headers=auth).status_code == 403
    assert client.get(url, headers=auth).status_code == (200 if role == Role.viewer else 403)
