"""The journey's JSON API under /api/v1: CRUD, order, archive, versions, templates, refusals."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlmodel import Session, col, func, select

from app.db import Database
from app.orgs.models import Organization, Role
from app.tenancy import MSG_FORBIDDEN
from tests.conftest import Browser, sign_in
from tests.factories import (
    make_answer,
    make_member,
    make_org,
    make_question,
    make_shop,
    make_stage,
    make_token,
    make_touchpoint,
)
from tests.touchpoints.test_pages import field_value
from touchpoints.library import GROUP_BUSINESS, GROUP_CHECKLISTS, template_sets
from touchpoints.models import (
    MSG_CHOICE_OPTIONS,
    MSG_CHOICE_POINTS,
    MSG_NUMBER_RULE,
    MSG_NUMBER_THRESHOLD,
    MSG_SCALE_LABELS,
    MSG_TEXT_CRITICAL,
    Question,
    Stage,
    Touchpoint,
)
from touchpoints.services import (
    MSG_MOVE_HIDDEN,
    MSG_STAGE_ARCHIVED,
    MSG_STAGE_NAME_ARCHIVED,
    MSG_STAGE_NAME_TAKEN,
    MSG_STAGE_NOT_EMPTY,
    MSG_STAGE_UNKNOWN,
    MSG_STALE_ORDER,
    MSG_TEMPLATE_UNKNOWN,
    MSG_TOUCHPOINT_ARCHIVED,
)

API = "/api/v1"


@dataclass
class Owner:
    client: Browser
    org: Organization
    headers: dict[str, str]

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(API + path, headers=self.headers, **kw)

    def post(self, path: str, json: Any = None) -> Any:
        return self.client.post(API + path, json=json, headers=self.headers)

    def put(self, path: str, json: Any) -> Any:
        return self.client.put(API + path, json=json, headers=self.headers)

    def patch(self, path: str, json: Any) -> Any:
        return self.client.patch(API + path, json=json, headers=self.headers)

    def delete(self, path: str) -> Any:
        return self.client.delete(API + path, headers=self.headers)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def owner(client: Browser, session: Session) -> Owner:
    org = make_org(session, name="Harbour Bikes")
    user = make_member(session, org, Role.owner)
    return Owner(client, org, _bearer(make_token(session, org, user)))


def _count(session: Session, model: Any, org: Organization) -> int:
    session.rollback()  # end any read snapshot, so the app's commits are visible
    session.expire_all()
    return session.exec(select(func.count()).select_from(model).where(model.org_id == org.id)).one()


def _journey(owner: Owner) -> list[tuple[str, list[str]]]:
    response = owner.get("/journey")
    assert response.status_code == 200
    return [(s["name"], [t["name"] for t in s["touchpoints"]]) for s in response.json()]


def _one_error(response: Any) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    errors = response.json()["detail"]
    assert len(errors) == 1, errors
    return errors[0]  # type: ignore[no-any-return]


# --- stages --------------------------------------------------------------------------------


def test_stage_crud_order_archive_and_delete(owner: Owner, session: Session) -> None:
    assert owner.get("/journey").json() == []
    created = owner.post("/stages", {"name": "  Inquiry "})
    assert created.status_code == 201
    inquiry = created.json()
    assert inquiry == {"id": inquiry["id"], "name": "Inquiry", "position": 1, "archived": False}
    visit = owner.post("/stages", {"name": "Visit"}).json()
    spare = owner.post("/stages", {"name": "Spare"}).json()
    assert visit["position"] == 2

    renamed = owner.patch(f"/stages/{visit['id']}", {"name": "In the shop"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "In the shop"

    order = owner.put("/stages/order", {"ids": [spare["id"], visit["id"], inquiry["id"]]})
    assert order.status_code == 200
    assert [(s["name"], s["position"]) for s in order.json()] == [
        ("Spare", 1),
        ("In the shop", 2),
        ("Inquiry", 3),
    ]

    archived = owner.post(f"/stages/{inquiry['id']}/archive")
    assert archived.status_code == 200 and archived.json()["archived"] is True
    assert [s["name"] for s in owner.get("/stages").json()] == ["Spare", "In the shop"]
    everything = owner.get("/stages", params={"include_archived": "true"}).json()
    assert {s["name"]: s["archived"] for s in everything} == {
        "Spare": False,
        "In the shop": False,
        "Inquiry": True,
    }
    restored = owner.post(f"/stages/{inquiry['id']}/restore")
    assert restored.status_code == 200 and restored.json()["archived"] is False
    assert [s["name"] for s in owner.get("/stages").json()] == ["Spare", "In the shop", "Inquiry"]

    assert owner.delete(f"/stages/{spare['id']}").status_code == 204
    assert owner.patch(f"/stages/{spare['id']}", {"name": "Gone"}).status_code == 404
    assert _count(session, Stage, owner.org) == 2


def test_a_stage_with_touchpoints_cannot_be_deleted(owner: Owner, session: Session) -> None:
    stage = owner.post("/stages", {"name": "Visit"}).json()
    owner.post("/touchpoints", {"name": "Door", "stage_id": stage["id"]})
    refused = owner.delete(f"/stages/{stage['id']}")
    assert refused.status_code == 409
    assert refused.json() == {"detail": MSG_STAGE_NOT_EMPTY}
    assert _count(session, Stage, owner.org) == 1


@pytest.mark.parametrize(
    ("body", "loc", "type_"),
    [
        ({"name": ""}, ["body", "name"], "string_too_short"),
        ({"name": "   "}, ["body", "name"], "value_error"),
        ({"name": "x" * 121}, ["body", "name"], "string_too_long"),
        ({}, ["body", "name"], "missing"),
    ],
)
def test_a_bad_stage_name_is_422_and_nothing_is_saved(
    owner: Owner, session: Session, body: dict[str, Any], loc: list[str], type_: str
) -> None:
    error = _one_error(owner.post("/stages", body))
    assert (error["loc"], error["type"]) == (loc, type_)
    if type_ == "value_error":
        assert "enter a name for the stage" in error["msg"]
    assert _count(session, Stage, owner.org) == 0


def test_renaming_a_stage_to_blank_keeps_the_old_name(owner: Owner) -> None:
    stage = owner.post("/stages", {"name": "Visit"}).json()
    error = _one_error(owner.patch(f"/stages/{stage['id']}", {"name": "  "}))
    assert error["loc"] == ["body", "name"]
    assert _journey(owner) == [("Visit", [])]


# --- touchpoints ---------------------------------------------------------------------------


def test_touchpoint_crud_reorder_archive_and_restore(owner: Owner, session: Session) -> None:
    visit = owner.post("/stages", {"name": "Visit"}).json()
    sale = owner.post("/stages", {"name": "Sale"}).json()
    created = owner.post(
        "/touchpoints",
        {
            "name": " Walking in ",
            "stage_id": visit["id"],
            "channel": "walk_in",
            "mode": "people",
            "team": "Floor staff",
            "description": "First impression at the door.",
            "target": 85,
        },
    )
    assert created.status_code == 201, created.text
    door = created.json()
    assert door == {
        "id": door["id"],
        "name": "Walking in",
        "stage_id": visit["id"],
        "channel": "walk_in",
        "mode": "people",
        "team": "Floor staff",
        "description": "First impression at the door.",
        "target": 85,
        "position": 1,
        "archived": False,
        "translations": None,
    }
    desk = owner.post("/touchpoints", {"name": "Desk", "stage_id": visit["id"]}).json()
    # Defaults for what was not sent.
    assert (desk["channel"], desk["mode"], desk["target"], desk["position"]) == (
        "walk_in",
        "people",
        80,
        2,
    )
    assert owner.get(f"/touchpoints/{door['id']}").json() == door

    patched = owner.patch(f"/touchpoints/{desk['id']}", {"target": 90, "channel": "sales"})
    assert patched.status_code == 200
    assert (patched.json()["target"], patched.json()["channel"]) == (90, "sales")
    assert patched.json()["name"] == "Desk"  # untouched fields stay

    reordered = owner.put(
        f"/stages/{visit['id']}/touchpoints/order", {"ids": [desk["id"], door["id"]]}
    )
    assert reordered.status_code == 200
    assert [t["name"] for t in reordered.json()] == ["Desk", "Walking in"]
    assert _journey(owner) == [("Visit", ["Desk", "Walking in"]), ("Sale", [])]

    moved = owner.patch(f"/touchpoints/{desk['id']}", {"stage_id": sale["id"]})
    assert moved.json()["stage_id"] == sale["id"]
    assert _journey(owner) == [("Visit", ["Walking in"]), ("Sale", ["Desk"])]

    archived = owner.post(f"/touchpoints/{door['id']}/archive")
    assert archived.status_code == 200 and archived.json()["archived"] is True
    assert _journey(owner) == [("Visit", []), ("Sale", ["Desk"])]
    assert [t["name"] for t in owner.get("/touchpoints").json()] == ["Desk"]
    listed = owner.get("/touchpoints", params={"include_archived": "true"}).json()
    assert sorted(t["name"] for t in listed) == ["Desk", "Walking in"]
    # Archived: still readable, but its checklist is frozen.
    assert owner.get(f"/touchpoints/{door['id']}").json()["archived"] is True
    frozen = owner.post(
        f"/touchpoints/{door['id']}/questions", {"text": "Greeted?", "kind": "yes_no"}
    )
    assert frozen.status_code == 400
    assert frozen.json() == {"detail": MSG_TOUCHPOINT_ARCHIVED}

    restored = owner.post(f"/touchpoints/{door['id']}/restore")
    assert restored.status_code == 200 and restored.json()["archived"] is False
    assert _journey(owner) == [("Visit", ["Walking in"]), ("Sale", ["Desk"])]
    assert _count(session, Touchpoint, owner.org) == 2


def test_restoring_into_an_archived_stage_is_refused(owner: Owner) -> None:
    stage = owner.post("/stages", {"name": "Visit"}).json()
    tp = owner.post("/touchpoints", {"name": "Door", "stage_id": stage["id"]}).json()
    owner.post(f"/touchpoints/{tp['id']}/archive")
    owner.post(f"/stages/{stage['id']}/archive")
    refused = owner.post(f"/touchpoints/{tp['id']}/restore")
    assert refused.status_code == 400
    assert refused.json() == {"detail": MSG_STAGE_ARCHIVED, "field": "stage_id"}
    assert owner.get(f"/touchpoints/{tp['id']}").json()["archived"] is True


@pytest.mark.parametrize(
    ("change", "loc", "type_"),
    [
        ({"name": ""}, ["body", "name"], "string_too_short"),
        ({"name": "   "}, ["body", "name"], "value_error"),
        ({"target": 140}, ["body", "target"], "less_than_equal"),
        ({"target": -1}, ["body", "target"], "greater_than_equal"),
        ({"channel": "fax"}, ["body", "channel"], "enum"),
        ({"mode": "robot"}, ["body", "mode"], "enum"),
        ({"stage_id": "first"}, ["body", "stage_id"], "int_parsing"),
    ],
)
def test_bad_touchpoint_input_is_422_and_nothing_is_saved(
    owner: Owner, session: Session, change: dict[str, Any], loc: list[str], type_: str
) -> None:
    stage = owner.post("/stages", {"name": "Visit"}).json()
    body = {"name": "Door", "stage_id": stage["id"], **change}
    error = _one_error(owner.post("/touchpoints", body))
    assert (error["loc"], error["type"]) == (loc, type_)
    assert _count(session, Touchpoint, owner.org) == 0
    # The same rules guard an update, and the old values stay.
    tp = owner.post("/touchpoints", {"name": "Door", "stage_id": stage["id"]}).json()
    update = {k: v for k, v in change.items() if k != "stage_id"} or {"stage_id": "first"}
    error = _one_error(owner.patch(f"/touchpoints/{tp['id']}", update))
    assert error["loc"] == ["body", next(iter(update))]
    assert owner.get(f"/touchpoints/{tp['id']}").json() == tp


def test_a_stage_from_another_organization_is_refused(
    owner: Owner, client: Browser, session: Session
) -> None:
    other = make_org(session, name="Rival Bikes")
    foreign = make_stage(session, other, name="Their stage")
    refused = owner.post("/touchpoints", {"name": "Sneaky", "stage_id": foreign.id})
    assert refused.status_code == 400
    assert refused.json() == {"detail": MSG_STAGE_UNKNOWN, "field": "stage_id"}
    unknown = owner.post("/touchpoints", {"name": "Sneaky", "stage_id": 987654})
    assert unknown.json() == {"detail": MSG_STAGE_UNKNOWN, "field": "stage_id"}
    own = owner.post("/stages", {"name": "Visit"}).json()
    tp = owner.post("/touchpoints", {"name": "Door", "stage_id": own["id"]}).json()
    moved = owner.patch(f"/touchpoints/{tp['id']}", {"stage_id": foreign.id})
    assert moved.status_code == 400
    assert moved.json() == {"detail": MSG_STAGE_UNKNOWN, "field": "stage_id"}
    assert owner.get(f"/touchpoints/{tp['id']}").json()["stage_id"] == own["id"]
    # Another organization's objects do not exist for us at all.
    assert owner.patch(f"/stages/{foreign.id}", {"name": "Mine now"}).status_code == 404
    assert owner.put(f"/stages/{foreign.id}/touchpoints/order", {"ids": [1]}).status_code == 404
    session.rollback()
    session.expire_all()
    assert session.get(Stage, foreign.id).name == "Their stage"  # type: ignore[union-attr]
    assert _count(session, Touchpoint, other) == 0
    assert _count(session, Touchpoint, owner.org) == 1


@pytest.mark.parametrize("stale", ["missing", "extra", "duplicate", "other_org"])
def test_reordering_with_a_stale_list_is_409_and_changes_nothing(
    owner: Owner, session: Session, stale: str
) -> None:
    other = make_org(session, name="Rival Bikes")
    foreign = make_touchpoint(session, other)
    stage = owner.post("/stages", {"name": "Visit"}).json()
    a, b, c = (
        owner.post("/touchpoints", {"name": n, "stage_id": stage["id"]}).json()["id"]
        for n in ("A", "B", "C")
    )
    ids = {
        "missing": [c, a],
        "extra": [c, a, b, 99999],
        "duplicate": [c, a, a],
        "other_org": [c, a, foreign.id],
    }[stale]
    refused = owner.put(f"/stages/{stage['id']}/touchpoints/order", {"ids": ids})
    assert refused.status_code == 409
    assert refused.json() == {"detail": MSG_STALE_ORDER, "field": "ids"}
    assert _journey(owner) == [("Visit", ["A", "B", "C"])]
    stages = owner.put("/stages/order", {"ids": [stage["id"], foreign.stage_id]})
    assert stages.status_code == 409 and stages.json()["detail"] == MSG_STALE_ORDER


def test_an_empty_or_malformed_order_is_422(owner: Owner) -> None:
    stage = owner.post("/stages", {"name": "Visit"}).json()
    path = f"/stages/{stage['id']}/touchpoints/order"
    assert _one_error(owner.put(path, {"ids": []}))["loc"] == ["body", "ids"]
    assert _one_error(owner.put(path, {}))["loc"] == ["body", "ids"]
    assert _one_error(owner.put(path, {"ids": ["x"]}))["loc"] == ["body", "ids", 0]


def test_moving_an_archived_item_through_a_page_is_refused_not_a_crash(
    owner: Owner, session: Session, db: Database
) -> None:
    # Guard for the shared move service: pages call it; the API reorders with lists.
    stage = owner.post("/stages", {"name": "Visit"}).json()
    tp = owner.post("/touchpoints", {"name": "Door", "stage_id": stage["id"]}).json()
    owner.post(f"/touchpoints/{tp['id']}/archive")
    owner_user = make_member(session, owner.org, Role.owner)
    sign_in(owner.client, db, owner_user, owner.org)
    response = owner.client.htmx("POST", f"/touchpoints/{tp['id']}/move", {"direction": "up"})
    assert response.status_code == 409  # type: ignore[attr-defined]
    assert MSG_MOVE_HIDDEN.split(";")[0] in response.text  # type: ignore[attr-defined]


# --- questions -----------------------------------------------------------------------------


def _tp(owner: Owner) -> int:
    stage = owner.post("/stages", {"name": "Visit"}).json()
    return int(owner.post("/touchpoints", {"name": "Door", "stage_id": stage["id"]}).json()["id"])


GOOD_QUESTIONS: list[dict[str, Any]] = [
    {"text": "Greeted within 10 seconds?", "kind": "yes_no", "critical": True, "weight": 2},
    {
        "text": "How welcome did you feel?",
        "kind": "scale",
        "scale_labels": ["Ignored", "Tolerated", "Fine", "Welcome", "Delighted"],
    },
    {
        "text": "Rings before an answer",
        "kind": "number",
        "rule": "at_most",
        "threshold": 3,
        "unit": "rings",
    },
    {
        "text": "How were you greeted?",
        "kind": "choice",
        "options": [{"label": "Not at all", "points": 0}, {"label": "By name", "points": 3}],
    },
    {"text": "Anything else?", "kind": "text", "allow_na": True, "required": False},
]


def test_questions_of_every_kind_round_trip(owner: Owner) -> None:
    tp_id = _tp(owner)
    made = []
    for body in GOOD_QUESTIONS:
        response = owner.post(f"/touchpoints/{tp_id}/questions", body)
        assert response.status_code == 201, response.text
        made.append(response.json())
    yes_no, scale, number, choice, text = made
    assert yes_no["critical"] is True and yes_no["weight"] == 2
    assert (yes_no["version"], yes_no["status"], yes_no["touchpoint_id"]) == (1, "active", tp_id)
    assert scale["scale_labels"] == GOOD_QUESTIONS[1]["scale_labels"]
    assert (number["rule"], number["threshold"], number["unit"]) == ("at_most", 3, "rings")
    assert choice["options"] == [
        {"label": "Not at all", "points": 0},
        {"label": "By name", "points": 3},
    ]
    assert text["weight"] == 0  # free text is never scored
    assert [q["position"] for q in made] == [1, 2, 3, 4, 5]

    listed = owner.get(f"/touchpoints/{tp_id}/questions").json()
    assert listed == made
    assert owner.get(f"/questions/{number['id']}").json() == number

    order = [q["id"] for q in reversed(made)]
    reordered = owner.put(f"/touchpoints/{tp_id}/questions/order", {"ids": order})
    assert reordered.status_code == 200
    assert [q["kind"] for q in reordered.json()] == ["text", "choice", "number", "scale", "yes_no"]
    stale = owner.put(f"/touchpoints/{tp_id}/questions/order", {"ids": order[:-1]})
    assert stale.status_code == 409 and stale.json()["detail"] == MSG_STALE_ORDER


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"kind": "choice"}, MSG_CHOICE_OPTIONS),
        ({"kind": "choice", "options": [{"label": "Only", "points": 1}]}, MSG_CHOICE_OPTIONS),
        (
            {
                "kind": "choice",
                "options": [{"label": "A", "points": 0}, {"label": "B", "points": 0}],
            },
            MSG_CHOICE_POINTS,
        ),
        ({"kind": "number", "threshold": 3}, MSG_NUMBER_RULE),
        ({"kind": "number", "rule": "at_least"}, MSG_NUMBER_THRESHOLD),
        ({"kind": "scale", "scale_labels": ["a", "b", "c", "d"]}, MSG_SCALE_LABELS),
        ({"kind": "scale", "scale_labels": ["a", "b", " ", "d", "e"]}, MSG_SCALE_LABELS),
        ({"kind": "text", "critical": True}, MSG_TEXT_CRITICAL),
    ],
    ids=[
        "choice-no-options",
        "choice-one-option",
        "choice-no-points",
        "number-no-rule",
        "number-no-threshold",
        "scale-four-labels",
        "scale-blank-label",
        "text-critical",
    ],
)
def test_kind_rules_are_422_with_the_rule_in_words(
    owner: Owner, session: Session, body: dict[str, Any], message: str
) -> None:
    tp_id = _tp(owner)
    error = _one_error(owner.post(f"/touchpoints/{tp_id}/questions", {"text": "Q?", **body}))
    assert error["msg"] == message
    assert error["type"] == "question_rule"
    assert _count(session, Question, owner.org) == 0


@pytest.mark.parametrize(
    ("body", "loc", "type_"),
    [
        ({"weight": -1}, ["body", "weight"], "greater_than_equal"),
        ({"weight": 101}, ["body", "weight"], "less_than_equal"),
        ({"text": ""}, ["body", "text"], "string_too_short"),
        ({"text": "  "}, ["body", "text"], "value_error"),
        ({"kind": "essay"}, ["body", "kind"], "enum"),
        (
            {
                "kind": "choice",
                "options": [{"label": "A", "points": -2}, {"label": "B", "points": 1}],
            },
            ["body", "options", 0, "points"],
            "greater_than_equal",
        ),
        (
            {
                "kind": "choice",
                "options": [{"label": " ", "points": 0}, {"label": "B", "points": 1}],
            },
            ["body", "options", 0, "label"],
            "value_error",
        ),
    ],
    ids=[
        "weight-negative",
        "weight-huge",
        "text-empty",
        "text-blank",
        "kind",
        "option-points",
        "option-label",
    ],
)
def test_bad_question_fields_are_422_naming_the_field(
    owner: Owner, session: Session, body: dict[str, Any], loc: list[Any], type_: str
) -> None:
    tp_id = _tp(owner)
    error = _one_error(
        owner.post(f"/touchpoints/{tp_id}/questions", {"text": "Q?", "kind": "yes_no", **body})
    )
    assert (error["loc"], error["type"]) == (loc, type_)
    assert _count(session, Question, owner.org) == 0


def test_weight_zero_on_a_scored_question_is_refused(owner: Owner) -> None:
    tp_id = _tp(owner)
    error = _one_error(
        owner.post(f"/touchpoints/{tp_id}/questions", {"text": "Q?", "kind": "yes_no", "weight": 0})
    )
    assert "weight above 0" in error["msg"]


def test_editing_an_answered_question_makes_a_version_and_keeps_the_old(
    owner: Owner, session: Session
) -> None:
    tp_id = _tp(owner)
    body = {"text": "Greeted?", "kind": "yes_no", "guidance": "Within 10 s"}
    q = owner.post(f"/touchpoints/{tp_id}/questions", body).json()

    # Unanswered: edited in place.
    saved = owner.put(f"/questions/{q['id']}", {**body, "text": "Greeted warmly?"})
    assert saved.status_code == 200
    assert saved.json()["new_version"] is False
    assert saved.json()["question"]["id"] == q["id"]
    assert saved.json()["question"]["version"] == 1

    session.rollback()
    session.expire_all()
    question = session.get(Question, q["id"])
    tp = session.get(Touchpoint, tp_id)
    assert question is not None and tp is not None
    shop = make_shop(session, owner.org, touchpoints=[tp])
    make_answer(session, shop, question, True)

    # Guidance only: still in place.
    same = owner.put(
        f"/questions/{q['id']}", {**body, "text": "Greeted warmly?", "guidance": "From the door"}
    ).json()
    assert same["new_version"] is False and same["question"]["guidance"] == "From the door"

    # Meaning changes: a new version.
    edited = owner.put(
        f"/questions/{q['id']}", {**body, "text": "Greeted warmly by name?", "critical": True}
    )
    assert edited.status_code == 200
    v2 = edited.json()
    assert v2["new_version"] is True
    new = v2["question"]
    assert new["id"] != q["id"]
    assert (new["lineage"], new["version"], new["status"]) == (q["lineage"], 2, "active")
    assert (new["text"], new["critical"]) == ("Greeted warmly by name?", True)

    old = owner.get(f"/questions/{q['id']}").json()
    assert (old["status"], old["version"], old["text"]) == ("superseded", 1, "Greeted warmly?")
    versions = owner.get(f"/questions/{new['id']}/versions").json()
    assert [(v["version"], v["status"]) for v in versions] == [(1, "superseded"), (2, "active")]
    assert owner.get(f"/questions/{q['id']}/versions").json() == versions
    assert [x["id"] for x in owner.get(f"/touchpoints/{tp_id}/questions").json()] == [new["id"]]
    history = owner.get(f"/touchpoints/{tp_id}/questions", params={"status": "superseded"})
    assert [x["id"] for x in history.json()] == [q["id"]]

    stale_edit = owner.put(f"/questions/{q['id']}", {**body, "text": "Edit the old one"})
    assert stale_edit.status_code == 409
    assert owner.get(f"/questions/{q['id']}").json()["text"] == "Greeted warmly?"

    # A bad edit leaves the current version as it was.
    bad = owner.put(f"/questions/{new['id']}", {"text": "Q?", "kind": "choice"})
    assert _one_error(bad)["msg"] == MSG_CHOICE_OPTIONS
    assert owner.get(f"/questions/{new['id']}").json() == new


def test_removing_questions_deletes_or_retires(owner: Owner, session: Session) -> None:
    tp_id = _tp(owner)
    fresh = owner.post(f"/touchpoints/{tp_id}/questions", {"text": "New?", "kind": "yes_no"})
    used = owner.post(f"/touchpoints/{tp_id}/questions", {"text": "Used?", "kind": "yes_no"})
    session.rollback()
    session.expire_all()
    tp = session.get(Touchpoint, tp_id)
    used_q = session.get(Question, used.json()["id"])
    assert tp is not None and used_q is not None
    make_answer(session, make_shop(session, owner.org, touchpoints=[tp]), used_q, False)

    deleted = owner.delete(f"/questions/{fresh.json()['id']}")
    assert deleted.status_code == 200 and deleted.json() == {"outcome": "deleted"}
    assert owner.get(f"/questions/{fresh.json()['id']}").status_code == 404

    retired = owner.delete(f"/questions/{used.json()['id']}")
    assert retired.status_code == 200 and retired.json() == {"outcome": "retired"}
    kept = owner.get(f"/questions/{used.json()['id']}").json()
    assert (kept["status"], kept["text"]) == ("retired", "Used?")
    assert owner.get(f"/touchpoints/{tp_id}/questions").json() == []
    listed = owner.get(f"/touchpoints/{tp_id}/questions", params={"status": "retired"}).json()
    assert [x["id"] for x in listed] == [used.json()["id"]]
    assert owner.delete(f"/questions/{used.json()['id']}").status_code == 409


# --- templates -----------------------------------------------------------------------------


def test_templates_list_and_apply(owner: Owner, session: Session) -> None:
    listed = owner.get("/templates")
    assert listed.status_code == 200
    sets = listed.json()
    assert [s["key"] for s in sets] == [s.key for s in template_sets()]
    assert [s["key"] for s in sets if s["group"] == GROUP_CHECKLISTS] == [
        "five-moments",
        "service-processes",
        "seven-cs",
    ]
    assert [s["key"] for s in sets if s["group"] == GROUP_BUSINESS] == [
        "restaurant",
        "hotel",
        "retail",
        "dealership",
        "bank",
        "clinic",
        "call-centre",
    ]
    five = sets[0]
    assert len(five["touchpoints"]) == 5
    for t in five["touchpoints"]:
        assert 6 <= len(t["questions"]) <= 12
        assert t["name"] and t["stage"] and 0 <= t["target"] <= 100
        assert t["on_journey"] is False

    applied = owner.post("/templates/apply", {"set_key": "five-moments"})
    assert applied.status_code == 201
    body = applied.json()
    assert body["skipped"] == []
    assert [t["name"] for t in body["created"]] == [t["name"] for t in five["touchpoints"]]
    assert [name for name, _ in _journey(owner)] == [
        "Inquiry",
        "Visit",
        "Sale",
        "After the sale",
        "Billing",
    ]
    first = body["created"][0]
    questions = owner.get(f"/touchpoints/{first['id']}/questions").json()
    assert [q["text"] for q in questions] == [
        q["text"] for q in five["touchpoints"][0]["questions"]
    ]

    again = owner.post("/templates/apply", {"set_key": "five-moments"}).json()
    assert again == {"created": [], "skipped": [t["name"] for t in five["touchpoints"]]}
    assert _count(session, Touchpoint, owner.org) == 5
    listed_again = owner.get("/templates").json()
    assert all(t["on_journey"] for t in listed_again[0]["touchpoints"])
    assert not any(t["on_journey"] for t in listed_again[2]["touchpoints"])

    one = owner.post("/templates/apply", {"touchpoint_key": "retention.seven-cs"}).json()
    assert [t["name"] for t in one["created"]] == [sets[2]["touchpoints"][0]["name"]]
    assert _count(session, Touchpoint, owner.org) == 6


@pytest.mark.parametrize(
    ("body", "status", "expected"),
    [
        ({"set_key": "nope"}, 400, {"detail": MSG_TEMPLATE_UNKNOWN, "field": "key"}),
        ({"touchpoint_key": "nope"}, 400, {"detail": MSG_TEMPLATE_UNKNOWN, "field": "key"}),
        ({}, 422, None),
        ({"set_key": "five-moments", "touchpoint_key": "moments.bill"}, 422, None),
    ],
)
def test_applying_an_unknown_or_ambiguous_template_is_refused(
    owner: Owner, session: Session, body: dict[str, str], status: int, expected: Any
) -> None:
    response = owner.post("/templates/apply", body)
    assert response.status_code == status
    if expected is not None:
        assert response.json() == expected
    else:
        assert "exactly one of set_key or touchpoint_key" in response.json()["detail"][0]["msg"]
    assert _count(session, Stage, owner.org) == 0


# --- roles ---------------------------------------------------------------------------------


def test_a_viewer_can_read_but_not_write(client: Browser, session: Session) -> None:
    org = make_org(session)
    tp = make_touchpoint(session, org, name="Door")
    q = make_question(session, tp, text="Greeted?")
    viewer = Owner(
        client, org, _bearer(make_token(session, org, make_member(session, org, Role.viewer)))
    )
    assert _journey(viewer) == [(session.get(Stage, tp.stage_id).name, ["Door"])]  # type: ignore[union-attr]
    for path in (
        "/stages",
        "/touchpoints",
        f"/touchpoints/{tp.id}",
        f"/touchpoints/{tp.id}/questions",
        f"/questions/{q.id}",
        f"/questions/{q.id}/versions",
    ):
        assert viewer.get(path).status_code == 200, path
    writes = [
        viewer.post("/stages", {"name": "Mine"}),
        viewer.patch(f"/stages/{tp.stage_id}", {"name": "Mine"}),
        viewer.post("/touchpoints", {"name": "Mine", "stage_id": tp.stage_id}),
        viewer.patch(f"/touchpoints/{tp.id}", {"name": "Mine"}),
        viewer.post(f"/touchpoints/{tp.id}/archive"),
        viewer.post(f"/touchpoints/{tp.id}/questions", {"text": "Q?", "kind": "yes_no"}),
        viewer.put(f"/questions/{q.id}", {"text": "Changed", "kind": "yes_no"}),
        viewer.delete(f"/questions/{q.id}"),
        viewer.delete(f"/stages/{tp.stage_id}"),
        viewer.put("/stages/order", {"ids": [tp.stage_id]}),
        viewer.post("/templates/apply", {"set_key": "five-moments"}),
        viewer.get("/templates"),
    ]
    for response in writes:
        assert response.status_code == 403, response.request.url
        assert response.json() == {"detail": MSG_FORBIDDEN}
    assert _journey(viewer) == [(session.get(Stage, tp.stage_id).name, ["Door"])]  # type: ignore[union-attr]
    assert viewer.get(f"/questions/{q.id}").json()["text"] == "Greeted?"
    assert _count(session, Question, org) == 1


def test_a_shopper_cannot_read_the_journey(client: Browser, session: Session) -> None:
    org = make_org(session)
    tp = make_touchpoint(session, org)
    shopper = Owner(
        client, org, _bearer(make_token(session, org, make_member(session, org, Role.shopper)))
    )
    for path in ("/journey", "/stages", "/touchpoints", f"/touchpoints/{tp.id}/questions"):
        response = shopper.get(path)
        assert response.status_code == 403, path
        assert response.json() == {"detail": MSG_FORBIDDEN}


def test_without_a_token_the_api_answers_401(client: Browser) -> None:
    response = client.get(API + "/journey")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_the_journey_api_is_in_the_openapi_schema(client: Browser) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/v1/journey",
        "/api/v1/stages",
        "/api/v1/stages/order",
        "/api/v1/touchpoints",
        "/api/v1/stages/{stage_id}/touchpoints/order",
        "/api/v1/touchpoints/{touchpoint_id}/questions",
        "/api/v1/questions/{question_id}/versions",
        "/api/v1/templates",
        "/api/v1/templates/apply",
    ):
        assert path in paths, path


# --- API / page parity ---------------------------------------------------------------------


PARITY: list[tuple[str, dict[str, Any], dict[str, str], str, str]] = [
    # (case, API body, form fields, field the page marks, message)
    ("choice-no-options", {"kind": "choice"}, {"kind": "choice"}, "options", MSG_CHOICE_OPTIONS),
    (
        "number-no-rule",
        {"kind": "number", "threshold": 3},
        {"kind": "number", "rule": "", "threshold": "3"},
        "rule",
        MSG_NUMBER_RULE,
    ),
    (
        "scale-missing-labels",
        {"kind": "scale", "scale_labels": ["a", "b"]},
        {"kind": "scale", "scale_1": "a", "scale_2": "b"},
        "scale_labels",
        MSG_SCALE_LABELS,
    ),
    (
        "weight-negative",
        {"kind": "yes_no", "weight": -1},
        {"kind": "yes_no", "weight": "-1"},
        "weight",
        "Input should be greater than or equal to 0",
    ),
]


@pytest.mark.parametrize(
    ("api_body", "form", "field", "message"),
    [case[1:] for case in PARITY],
    ids=[case[0] for case in PARITY],
)
def test_page_and_api_refuse_the_same_question_the_same_way(
    client: Browser,
    session: Session,
    db: Database,
    api_body: dict[str, Any],
    form: dict[str, str],
    field: str,
    message: str,
) -> None:
    org = make_org(session)
    user = make_member(session, org, Role.owner)
    tp = make_touchpoint(session, org, name="Door")
    api = Owner(client, org, _bearer(make_token(session, org, user)))
    error = _one_error(api.post(f"/touchpoints/{tp.id}/questions", {"text": "Q?", **api_body}))
    assert error["msg"] == message
    # Rules spanning several inputs name their field too (from the error's context).
    assert error["loc"] == ["body", field]

    sign_in(client, db, user, org)
    page = client.htmx("POST", f"/touchpoints/{tp.id}/questions", {"text": "Q?", **form})
    assert page.status_code == 400  # type: ignore[attr-defined]
    html = page.text  # type: ignore[attr-defined]
    assert 'id="checklist"' in html and "<html" not in html
    # The same words, right under the field they are about.
    assert f'<p class="error" id="n-{field}-error">{message}' in html
    assert field_value(html, "n-text") == "Q?"  # what was typed stays
    assert _count(session, Question, org) == 0
    assert api.get(f"/touchpoints/{tp.id}/questions").json() == []


def test_page_and_api_refuse_a_foreign_stage_the_same_way(
    client: Browser, session: Session, db: Database
) -> None:
    org = make_org(session)
    user = make_member(session, org, Role.owner)
    own = make_stage(session, org, name="Visit")
    other = make_org(session)
    foreign = make_stage(session, other, name="Theirs")
    api = Owner(client, org, _bearer(make_token(session, org, user)))
    refused = api.post("/touchpoints", {"name": "Sneaky", "stage_id": foreign.id})
    assert refused.json() == {"detail": MSG_STAGE_UNKNOWN, "field": "stage_id"}

    sign_in(client, db, user, org)
    page = client.htmx("POST", "/touchpoints", {"name": "Sneaky", "stage_id": str(foreign.id)})
    assert page.status_code == 400  # type: ignore[attr-defined]
    assert MSG_STAGE_UNKNOWN in page.text  # type: ignore[attr-defined]
    assert "Theirs" not in page.text  # type: ignore[attr-defined]
    assert own.name in page.text  # type: ignore[attr-defined]
    session.rollback()
    assert session.exec(select(Touchpoint).where(col(Touchpoint.name) == "Sneaky")).all() == []


def test_stage_names_are_unique_in_a_journey_whatever_their_capitals(
    owner: Owner, session: Session
) -> None:
    visit = owner.post("/stages", {"name": "Visit"}).json()
    after = owner.post("/stages", {"name": "After"}).json()

    twin = owner.post("/stages", {"name": "  VISIT "})
    assert twin.status_code == 409
    assert twin.json()["detail"] == MSG_STAGE_NAME_TAKEN % {"name": "Visit"}
    renamed = owner.patch(f"/stages/{after['id']}", {"name": "visit"})
    assert renamed.status_code == 409
    assert owner.patch(f"/stages/{visit['id']}", {"name": "VISIT"}).status_code == 200  # itself

    owner.post(f"/stages/{after['id']}/archive")
    back = owner.post("/stages", {"name": "after"})
    assert back.status_code == 409
    assert back.json()["detail"] == MSG_STAGE_NAME_ARCHIVED % {"name": "After"}
    assert _journey(owner) == [("VISIT", [])]
    assert _count(session, Stage, owner.org) == 2
