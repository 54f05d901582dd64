"""The shops JSON API: planning, my shops, idempotent answers, submit, review, and who sees what."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from sqlmodel import Session, func, select

from app.orgs.models import Role, User
from audits.answers import MSG_SCALE, MSG_YES_NO
from audits.models import Answer, Shop, ShopEvent
from audits.services import (
    MSG_ALREADY_APPROVED,
    MSG_QUESTION_NOT_IN_SHOP,
    MSG_RETURN_NOTE,
    MSG_SHOP_CLOSED,
    MSG_SHOPPER_UNKNOWN,
)
from tests.audits.test_services import SHOPPER_EMAIL, SHOPPER_NAME, World, _survey_org
from tests.conftest import Browser
from tests.factories import make_member, make_token

pytestmark = pytest.mark.db

API = "/api/v1"


@dataclass
class Caller:
    client: Browser
    token: str

    def __call__(self, method: str, path: str, json: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"}
        return self.client.request(method, API + path, json=json, headers=headers)


@dataclass
class Api:
    w: World
    owner: Caller
    shopper: Caller
    other_shopper: Caller
    viewer: Caller


@pytest.fixture
def api(client: Browser, session: Session) -> Api:
    w = _survey_org(session)
    viewer = make_member(session, w.org, Role.viewer)

    def caller(user: User) -> Caller:
        return Caller(client, make_token(session, w.org, user))

    return Api(w, caller(w.owner), caller(w.shopper), caller(w.other_shopper), caller(viewer))


def _plan(api: Api, **overrides: Any) -> dict[str, Any]:
    w = api.w
    body = {
        "location_id": w.locations[0].id,
        "touchpoint_ids": [w.tp.id, w.tp2.id],
        "shopper_id": w.shopper.id,
        "scenario": "Ask about a wrong charge",
        "due_from": "2026-03-02T09:00:00Z",
        "due_until": "2026-03-09T09:00:00Z",
        **overrides,
    }
    response = api.owner("POST", "/shops", body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def _put(api: Api, shop_id: int, question_id: int, value: Any, **kw: Any) -> Any:
    answer_id = kw.pop("answer_id", None) or str(uuid.uuid4())
    body = {"question_id": question_id, "value": value, **kw}
    return api.shopper("PUT", f"/shops/{shop_id}/answers/{answer_id}", body)


def _fill(api: Api, shop_id: int) -> None:
    w = api.w
    for q, v in ((w.yes_no, True), (w.scale, 4), (w.number, 2), (w.choice, 1)):
        assert _put(api, shop_id, q.id, v).status_code == 200  # type: ignore[arg-type]


def _count(session: Session, model: Any) -> int:
    session.rollback()
    session.expire_all()
    return session.exec(select(func.count()).select_from(model)).one()  # type: ignore[no-any-return]


def test_plan_a_shop_and_a_wave(api: Api, session: Session) -> None:
    shop = _plan(api)
    assert shop["status"] == "assigned"
    assert shop["touchpoint_names"] == ["Walking in", "The bill"]
    assert shop["shopper_name"] == SHOPPER_NAME

    bad = api.owner(
        "POST",
        "/shops",
        {
            "location_id": api.w.locations[0].id,
            "touchpoint_ids": [api.w.tp.id],
            "shopper_id": api.w.owner.id,
        },
    )
    assert bad.status_code == 400
    assert bad.json() == {"detail": MSG_SHOPPER_UNKNOWN, "field": "shopper_id"}
    empty = api.owner(
        "POST", "/shops", {"location_id": api.w.locations[0].id, "touchpoint_ids": []}
    )
    assert empty.status_code == 422
    naive = api.owner(
        "POST",
        "/shops",
        {
            "location_id": api.w.locations[0].id,
            "touchpoint_ids": [api.w.tp.id],
            "due_from": "2026-03-02T09:00:00",
        },
    )
    assert naive.status_code == 422
    assert naive.json()["detail"][0]["loc"] == ["body", "due_from"]

    wave = api.owner(
        "POST",
        "/waves",
        {
            "name": "Spring",
            "location_ids": [loc.id for loc in api.w.locations],
            "touchpoint_ids": [api.w.tp.id],
            "shopper_ids": [api.w.shopper.id, api.w.other_shopper.id],
            "starts": "2026-03-01T00:00:00Z",
            "ends": "2026-03-31T00:00:00Z",
        },
    )
    assert wave.status_code == 201, wave.text
    body = wave.json()
    assert body["name"] == "Spring"
    assert [s["shopper_id"] for s in body["shops"]] == [
        api.w.shopper.id,
        api.w.other_shopper.id,
        api.w.shopper.id,
    ]
    assert _count(session, Shop) == 4
    # Shoppers cannot plan.
    assert api.shopper("POST", "/shops", {}).status_code == 403


def test_lists_for_each_role(api: Api) -> None:
    mine = _plan(api)
    theirs = _plan(api, shopper_id=api.w.other_shopper.id)
    assert {s["id"] for s in api.owner("GET", "/shops").json()} == {mine["id"], theirs["id"]}
    assert [s["id"] for s in api.shopper("GET", "/shops").json()] == [mine["id"]]
    assert api.viewer("GET", "/shops").json() == []
    assert api.owner("GET", "/shops?status=approved").json() == []
    assert len(api.owner("GET", "/shops?status=assigned").json()) == 2
    assert api.owner("GET", "/shops?status=nonsense").status_code == 422


def test_answer_put_is_idempotent_on_its_uuid(api: Api, session: Session) -> None:
    shop = _plan(api)
    aid = str(uuid.uuid4())
    first = _put(api, shop["id"], api.w.scale.id, 4, answer_id=aid, comment="Smiled")
    assert first.status_code == 200, first.text
    assert first.json()["display"] == "4 — Clearly"
    again = _put(api, shop["id"], api.w.scale.id, 4, answer_id=aid, comment="Smiled")
    assert again.status_code == 200
    assert again.json()["id"] == aid
    assert _count(session, Answer) == 1
    detail = api.shopper("GET", f"/shops/{shop['id']}").json()
    assert detail["status"] == "in_progress"
    answered = [q["answer"] for s in detail["sections"] for q in s["questions"] if q["answer"]]
    assert [(a["id"], a["value"], a["comment"]) for a in answered] == [(aid, 4, "Smiled")]


@pytest.mark.parametrize(
    ("which", "value", "kw", "status", "detail", "field"),
    [
        ("scale", 7, {}, 400, MSG_SCALE, "value"),
        ("yes_no", "a lot", {}, 400, MSG_YES_NO, "value"),
        ("yes_no", None, {"not_applicable": True}, 400, None, "not_applicable"),
        ("other", True, {}, 400, MSG_QUESTION_NOT_IN_SHOP, "question_id"),
    ],
)
def test_bad_answers_get_precise_errors(
    api: Api,
    session: Session,
    which: str,
    value: Any,
    kw: dict[str, Any],
    status: int,
    detail: str | None,
    field: str,
) -> None:
    shop = _plan(api, touchpoint_ids=[api.w.tp.id])
    question_id = api.w.choice.id if which == "other" else getattr(api.w, which).id
    response = _put(api, shop["id"], question_id, value, **kw)
    assert response.status_code == status
    assert response.json()["field"] == field
    if detail:
        assert response.json()["detail"] == detail
    assert _count(session, Answer) == 0


def test_visit_submit_twice_approve_and_conflicts(api: Api, session: Session) -> None:
    shop = _plan(api)
    sid = shop["id"]
    visit = api.shopper(
        "PUT",
        f"/shops/{sid}/visit",
        {"visited_at": "2026-03-03T10:15:00Z", "duration_minutes": 25, "comment": "Busy"},
    )
    assert visit.status_code == 200, visit.text
    assert visit.json()["duration_minutes"] == 25
    naive = api.shopper("PUT", f"/shops/{sid}/visit", {"visited_at": "2026-03-03T10:15:00"})
    assert naive.status_code == 422

    missing = api.shopper("POST", f"/shops/{sid}/submit")
    assert missing.status_code == 400
    assert missing.json()["field"] == f"question-{api.w.yes_no.id}"

    _fill(api, sid)
    first = api.shopper("POST", f"/shops/{sid}/submit")
    second = api.shopper("POST", f"/shops/{sid}/submit")
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert first.json()["status"] == "submitted" and first.json()["score"] == 95.0
    submitted = session.exec(select(ShopEvent).where(ShopEvent.to_status == "submitted")).all()
    assert len(submitted) == 1

    closed = _put(api, sid, api.w.yes_no.id, False)
    assert (closed.status_code, closed.json()["detail"]) == (409, MSG_SHOP_CLOSED)

    # Owners cannot answer or submit as the shopper; shoppers cannot approve.
    owner_put = api.owner("PUT", f"/shops/{sid}/answers/{uuid.uuid4()}", {"question_id": 1})
    assert owner_put.status_code == 403
    assert api.shopper("POST", f"/shops/{sid}/approve").status_code == 403

    no_note = api.owner("POST", f"/shops/{sid}/return", {"note": " "})
    assert no_note.json() == {"detail": MSG_RETURN_NOTE, "field": "note"}
    approved = api.owner("POST", f"/shops/{sid}/approve")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    again = api.shopper("POST", f"/shops/{sid}/submit")
    assert (again.status_code, again.json()["detail"]) == (409, MSG_ALREADY_APPROVED)


def test_return_sends_the_shop_back(api: Api) -> None:
    sid = _plan(api)["id"]
    _fill(api, sid)
    api.shopper("POST", f"/shops/{sid}/submit")
    returned = api.owner("POST", f"/shops/{sid}/return", {"note": "Which till was it?"})
    assert returned.status_code == 200
    assert (returned.json()["status"], returned.json()["return_note"]) == (
        "returned",
        "Which till was it?",
    )
    assert _put(api, sid, api.w.scale.id, 5).status_code == 200


def test_shopper_gets_404_for_another_shoppers_shop(api: Api) -> None:
    theirs = _plan(api, shopper_id=api.w.other_shopper.id)["id"]
    assert api.shopper("GET", f"/shops/{theirs}").status_code == 404
    assert _put(api, theirs, api.w.yes_no.id, True).status_code == 404
    assert api.shopper("POST", f"/shops/{theirs}/submit").status_code == 404
    assert api.shopper("PUT", f"/shops/{theirs}/visit", {}).status_code == 404
    assert api.other_shopper("GET", f"/shops/{theirs}").status_code == 200


def test_viewer_never_sees_the_shopper(api: Api) -> None:
    sid = _plan(api)["id"]
    _fill(api, sid)
    assert api.viewer("GET", f"/shops/{sid}").status_code == 404  # not approved yet
    api.shopper("POST", f"/shops/{sid}/submit")
    api.owner("POST", f"/shops/{sid}/approve")

    listed = api.viewer("GET", "/shops")
    detail = api.viewer("GET", f"/shops/{sid}")
    assert [s["id"] for s in listed.json()] == [sid]
    assert detail.status_code == 200
    assert detail.json()["current_score"]["percent"] == 95.0
    for response in (listed, detail, api.viewer("GET", "/shops?status=approved")):
        assert SHOPPER_NAME not in response.text
        assert SHOPPER_EMAIL not in response.text
        assert "shopper_id" not in response.text and "shopper_name" not in response.text
    # The owner does see who it was.
    assert api.owner("GET", f"/shops/{sid}").json()["shopper_name"] == SHOPPER_NAME


def test_openapi_documents_the_shop_endpoints(api: Api) -> None:
    paths = api.owner.client.get("/openapi.json").json()["paths"]
    assert {
        "/api/v1/shops",
        "/api/v1/waves",
        "/api/v1/shops/{shop_id}",
        "/api/v1/shops/{shop_id}/answers/{answer_id}",
        "/api/v1/shops/{shop_id}/visit",
        "/api/v1/shops/{shop_id}/submit",
        "/api/v1/shops/{shop_id}/approve",
        "/api/v1/shops/{shop_id}/return",
    } <= set(paths)


def test_the_shop_list_comes_a_page_at_a_time(api: Api) -> None:
    made = [_plan(api, due_until=f"2026-03-{day:02d}T09:00:00Z")["id"] for day in range(9, 16)]
    latest_first = list(reversed(made))

    everything = api.owner("GET", "/shops")
    assert [s["id"] for s in everything.json()] == latest_first
    assert everything.headers["X-Total-Count"] == "7"
    assert "Link" not in everything.headers

    seen: list[int] = []
    path = "/shops?limit=3"
    while True:
        page = api.owner("GET", path)
        assert page.status_code == 200, page.text
        assert page.headers["X-Total-Count"] == "7"
        seen += [s["id"] for s in page.json()]
        link = page.headers.get("Link")
        if link is None:
            break
        # <http://testserver/api/v1/shops?limit=3&offset=3>; rel="next"
        assert link.endswith('>; rel="next"'), link
        path = link[1 : link.index(">")].split(API, 1)[1]
    assert seen == latest_first
    assert len(page.json()) == 1  # 3 + 3 + 1

    # The shopper's own list pages the same way (all seven are theirs).
    first = api.shopper("GET", "/shops?limit=5")
    assert len(first.json()) == 5 and first.headers["X-Total-Count"] == "7"
    rest = api.shopper("GET", "/shops?limit=5&offset=5")
    assert len(rest.json()) == 2 and "Link" not in rest.headers
    assert {s["id"] for s in first.json() + rest.json()} == set(made)

    for bad in ("limit=0", "limit=501", "offset=-1", "limit=ten"):
        refused = api.owner("GET", f"/shops?{bad}")
        assert refused.status_code == 422, bad
