"""Journeys that travel: export from one organization, import into another through the
preview, the same checklists on arrival; a bad file changes nothing, on the page and in
the API; a failure halfway leaves nothing behind."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest
from sqlmodel import Session, col, select

from app.db import Database
from app.demo import DEMO_USERS
from app.orgs.models import Organization, Role, User
from app.tenancy import scope_session, unscoped
from tests.conftest import BASE_URL, Browser, sign_in
from tests.factories import make_member, make_org, make_question, make_stage, make_touchpoint
from touchpoints import queries as journey_queries
from touchpoints import services as journey_services
from touchpoints.models import Question, QuestionStatus, Stage, Touchpoint
from touchpoints.transfer import document, services
from touchpoints.transfer import queries as transfer_queries
from touchpoints.transfer.api import MSG_REFUSED, MSG_TOO_LARGE
from touchpoints.transfer.routes import MSG_NO_FILE

pytestmark = pytest.mark.db

HEADERS = {"Origin": BASE_URL}


def checklists(session: Session, org_id: int) -> list[tuple[Any, ...]]:
    """The organization's journey as what a shopper is asked: every stage and touchpoint in
    order with each current question, field by field."""
    session.rollback()  # a fresh read, and no snapshot left open to block the next write
    scope_session(session, org_id)
    out = []
    for view in journey_queries.journey(session):
        for tp in view.touchpoints:
            questions = [
                (
                    q.position,
                    q.text,
                    q.guidance,
                    q.kind,
                    json.dumps(q.config, sort_keys=True),
                    q.weight,
                    q.allow_na,
                    q.critical,
                    q.required,
                )
                for q in journey_queries.questions(session, tp.id, status=QuestionStatus.active)  # type: ignore[arg-type]
            ]
            # Positions restart at 1 in the new organization; their order is what counts.
            order = [q[0] for q in questions]
            assert order == sorted(order)
            out.append(
                (
                    view.stage.name,
                    tp.name,
                    tp.channel,
                    tp.mode,
                    tp.team,
                    tp.description,
                    tp.target,
                    tp.template_key,
                    [q[1:] for q in questions],
                )
            )
    session.rollback()
    return out


def owner_of_new_org(session: Session, name: str) -> tuple[Organization, User]:
    # No read snapshot left open from before the app's last write: SQLite could not turn it
    # into a write ("database is locked").
    session.rollback()
    with unscoped(session):
        org = make_org(session, name=name)
        return org, make_member(session, org, Role.owner)


def upload(client: Browser, data: bytes, name: str = "journey.json") -> Any:
    return client.post(
        "/journey/import",
        files={"file": (name, data, "application/json")},
        data={"csrf_token": client.csrf},
        headers=HEADERS,
    )


def hidden_document(page: str) -> str:
    match = re.search(r'name="document" value="([^"]*)"', page)
    assert match, "the preview carries the file to the confirm step"
    return html.unescape(match.group(1))


def counts(session: Session, org_id: int) -> tuple[int, int, int]:
    session.rollback()
    scope_session(session, org_id)
    found = (
        len(session.exec(select(Stage.id)).all()),
        len(session.exec(select(Touchpoint.id)).all()),
        len(session.exec(select(Question.id)).all()),
    )
    session.rollback()
    return found


@pytest.mark.slow  # the demo year
def test_demo_co_journey_exported_and_imported_gives_the_same_checklists(
    demo_org: Organization, session: Session, db: Database, browser_factory: Any
) -> None:
    demo_owner = session.exec(select(User).where(User.email == DEMO_USERS[0][0])).one()
    before = checklists(session, demo_org.id)  # type: ignore[arg-type]
    assert len(before) >= 6 and sum(len(tp[-1]) for tp in before) >= 40
    demo = sign_in(browser_factory(), db, demo_owner, demo_org)
    exported = demo.get("/journey/export.json")
    assert exported.status_code == 200
    assert exported.headers["content-disposition"] == 'attachment; filename="demo-co-journey.json"'
    assert json.loads(exported.text)["exported_from"] == "Demo Co"

    org, owner = owner_of_new_org(session, "Harbour Hotel")
    client = sign_in(browser_factory(), db, owner, org)
    preview = upload(client, exported.content, "demo-co-journey.json")
    assert preview.status_code == 200, preview.text[:2000]
    touchpoints = len(before)
    questions = sum(len(tp[-1]) for tp in before)
    assert f"{touchpoints} touchpoints with {questions} questions, in 5 new stages" in preview.text
    assert f"Import {touchpoints} touchpoints" in preview.text
    assert counts(session, org.id) == (0, 0, 0)  # type: ignore[arg-type]

    confirmed = client.post(
        "/journey/import/confirm",
        data={
            "csrf_token": client.csrf,
            "filename": "demo-co-journey.json",
            "document": hidden_document(preview.text),
        },
        headers=HEADERS,
    )
    assert confirmed.status_code == 303 and confirmed.headers["location"] == "/journey"
    journey = client.get("/journey")
    assert (
        f"Imported demo-co-journey.json: {touchpoints} touchpoints with {questions} questions."
        in html.unescape(journey.text)
    )
    assert checklists(session, org.id) == before  # type: ignore[arg-type]
    # Demo Co itself is as it was.
    assert checklists(session, demo_org.id) == before  # type: ignore[arg-type]


def test_a_broken_file_is_refused_on_the_page_with_line_and_reason(
    session: Session, db: Database, client: Browser
) -> None:
    org, owner = owner_of_new_org(session, "Quayside")
    make_stage(session, org, name="Visit")
    sign_in(client, db, owner, org)
    page = client.get("/journey/transfer")
    assert page.status_code == 200 and "Import a journey file" in page.text
    before = counts(session, org.id)  # type: ignore[arg-type]

    good = document.dumps(
        {
            "format": "touchstone-journey",
            "format_version": 1,
            "stages": [
                {
                    "name": "Visit",
                    "touchpoints": [
                        {
                            "name": "<b>Door</b>",
                            "questions": [{"text": "Greeted?", "kind": "yes_no"}],
                        }
                    ],
                }
            ],
        }
    )
    broken = good.replace('"kind": "yes_no"', '"kind": "yes-no"').encode()
    refused = upload(client, broken, "door.json")
    assert refused.status_code == 400
    text = html.unescape(refused.text)
    assert "Nothing was imported: 1 problem in door.json" in text
    line = next(n for n, s in enumerate(broken.decode().splitlines(), 1) if "yes-no" in s)
    assert f"Line {line}, column" in text
    assert "$.stages[0].touchpoints[0].questions[0].kind" in text
    assert '"kind" cannot be "yes-no"' in text
    assert counts(session, org.id) == before  # type: ignore[arg-type]

    no_comma = good.replace('"Visit",', '"Visit"')
    syntax = upload(client, no_comma.encode())
    # JSON finds the missing comma where the next key starts: the line after "Visit".
    line = next(n for n, s in enumerate(no_comma.splitlines(), 1) if '"Visit"' in s) + 1
    assert syntax.status_code == 400 and f"Line {line}, column 7" in syntax.text
    assert "The file is not valid JSON" in syntax.text

    nothing = client.post("/journey/import", data={"csrf_token": client.csrf}, headers=HEADERS)
    assert nothing.status_code == 400 and MSG_NO_FILE in nothing.text
    huge = upload(client, b" " * (document.MAX_BYTES + 10))
    assert huge.status_code == 400 and document.MSG_TOO_LARGE in huge.text
    # A confirm step whose file was altered on the way is checked again.
    altered = client.post(
        "/journey/import/confirm",
        data={"csrf_token": client.csrf, "filename": "door.json", "document": broken.decode()},
        headers=HEADERS,
    )
    assert altered.status_code == 400 and '"kind" cannot be "yes-no"' in html.unescape(altered.text)
    assert counts(session, org.id) == before  # type: ignore[arg-type]

    preview = upload(client, good.encode(), "door.json")
    assert preview.status_code == 200
    assert "already on your journey" in preview.text  # the stage "Visit" is matched
    assert "<b>Door</b>" not in preview.text and "&lt;b&gt;Door&lt;/b&gt;" in preview.text
    confirmed = client.post(
        "/journey/import/confirm",
        data={"csrf_token": client.csrf, "filename": "door.json", "document": good},
        headers=HEADERS,
    )
    assert confirmed.status_code == 303
    scope_session(session, org.id)  # type: ignore[arg-type]
    [door] = session.exec(select(Touchpoint)).all()
    session.rollback()

    # The imported touchpoint goes out again from its own page, inside its stage.
    one = client.get(f"/touchpoints/{door.id}/export.json")
    assert one.status_code == 200
    assert one.headers["content-disposition"] == 'attachment; filename="b-door-b.json"'
    assert one.headers["content-type"] == "application/json; charset=utf-8"
    content = json.loads(one.text)
    assert content["exported_from"] == "Quayside"
    # The same content, the defaults now written out.
    assert document.read(one.content).stages == document.read(good.encode()).stages
    assert "Download the journey" in client.get("/journey/transfer").text


def test_a_failure_halfway_through_an_import_leaves_nothing(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = make_org(session, name="Source")
    stage = make_stage(session, source, name="Visit")
    for n in range(3):
        tp = make_touchpoint(session, source, stage, name=f"Desk {n}")
        for m in range(3):
            make_question(session, tp, text=f"Question {n}.{m}")
    scope_session(session, source.id)  # type: ignore[arg-type]
    journey = transfer_queries.journey_file(session, org_name="Source")
    session.rollback()
    with unscoped(session):
        target = make_org(session, name="Target")
        make_stage(session, target, name="Sale")
    scope_session(session, target.id)  # type: ignore[arg-type]
    before = counts(session, target.id)  # type: ignore[arg-type]

    real = journey_services.question_create
    calls = {"n": 0}

    def fails_at_the_seventh(**kw: Any) -> Question:
        calls["n"] += 1
        if calls["n"] == 7:  # the third touchpoint's first question: two are flushed already
            raise RuntimeError("the database went away")
        return real(**kw)

    monkeypatch.setattr(journey_services, "question_create", fails_at_the_seventh)
    with pytest.raises(RuntimeError):
        services.journey_import(session=session, org_id=target.id, journey=journey)  # type: ignore[arg-type]
    assert calls["n"] == 7
    assert counts(session, target.id) == before  # type: ignore[arg-type]
    names = [s.name for s in session.exec(select(Stage).order_by(col(Stage.id)))]
    assert names == ["Sale"]

    monkeypatch.setattr(journey_services, "question_create", real)
    made = services.journey_import(session=session, org_id=target.id, journey=journey)  # type: ignore[arg-type]
    assert [tp.name for tp in made] == ["Desk 0", "Desk 1", "Desk 2"]
    assert counts(session, target.id) == (2, 3, 9)  # type: ignore[arg-type]


def test_the_preview_matches_stages_by_name_and_warns_of_a_name_taken(session: Session) -> None:
    org = make_org(session)
    visit = make_stage(session, org, name="visit")
    make_touchpoint(session, org, visit, name="Door")
    scope_session(session, org.id)  # type: ignore[arg-type]
    data = document.dumps(
        {
            "format": "touchstone-journey",
            "format_version": 1,
            "stages": [
                {"name": "Visit", "touchpoints": [{"name": "door", "questions": []}]},
                {"name": "Billing", "touchpoints": [{"name": "Bill", "questions": []}]},
                {"name": "VISIT", "touchpoints": [{"name": "Lobby", "questions": []}]},
            ],
        }
    )
    plan = transfer_queries.import_plan(session, document.read(data.encode()))
    assert [
        (s.name, s.exists, [t.touchpoint.name for t in s.touchpoints]) for s in plan.stages
    ] == [
        ("Visit", True, ["door", "Lobby"]),
        ("Billing", False, ["Bill"]),
    ]
    assert (plan.new_stages, plan.touchpoints, plan.names_taken) == (1, 3, 1)


# --- the API ---------------------------------------------------------------------------------


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_the_api_exports_previews_imports_and_refuses_precisely(
    client: Browser, session: Session
) -> None:
    from tests.factories import make_token

    source = make_org(session, name="Source")
    tp = make_touchpoint(session, source, make_stage(session, source, name="Inquiry"), name="Call")
    make_question(
        session, tp, text="Rings?", kind="number", rule="at_most", threshold=3, unit="rings"
    )
    make_question(
        session,
        tp,
        text="Which?",
        kind="choice",
        options=[{"label": "A", "points": 2}, {"label": "B", "points": 0}],
        allow_na=True,
    )
    source_token = make_token(session, source, make_member(session, source, Role.owner))
    viewer_token = make_token(session, source, make_member(session, source, Role.viewer))

    exported = client.get("/api/v1/journey/export", headers=bearer(source_token))
    assert exported.status_code == 200
    body = exported.json()
    assert body["format_version"] == 1 and body["exported_from"] == "Source"
    question = body["stages"][0]["touchpoints"][0]["questions"][0]
    assert question == {
        "text": "Rings?",
        "guidance": "",
        "kind": "number",
        "weight": 1.0,
        "allow_na": False,
        "critical": False,
        "required": True,
        "rule": "at_most",
        "threshold": 3.0,
        "unit": "rings",
    }
    one = client.get(f"/api/v1/touchpoints/{tp.id}/export", headers=bearer(source_token))
    assert one.status_code == 200 and one.json()["stages"] == body["stages"]
    assert client.get("/api/v1/journey/schema", headers=bearer(source_token)).json() == (
        document.schema()
    )
    viewer = client.get("/api/v1/journey/export", headers=bearer(viewer_token))
    assert viewer.status_code == 403

    target = make_org(session, name="Target")
    token = make_token(session, target, make_member(session, target, Role.owner))
    empty = client.get("/api/v1/journey/export", headers=bearer(token))
    assert empty.status_code == 409 and empty.json()["detail"] == (
        transfer_queries.MSG_NOTHING_TO_EXPORT
    )

    dry = client.post(
        "/api/v1/journey/import?dry_run=true", content=exported.content, headers=bearer(token)
    )
    assert dry.status_code == 200
    assert dry.json() == {
        "dry_run": True,
        "new_stages": 1,
        "touchpoints": 1,
        "questions": 2,
        "stages": [
            {
                "name": "Inquiry",
                "exists": False,
                "touchpoints": [{"name": "Call", "questions": 2, "name_taken": False, "id": None}],
            }
        ],
    }
    assert counts(session, target.id) == (0, 0, 0)  # type: ignore[arg-type]

    broken = exported.text.replace('"at_most"', '"less"', 1)
    refused = client.post("/api/v1/journey/import", content=broken, headers=bearer(token))
    assert refused.status_code == 422
    line = next(n for n, s in enumerate(broken.splitlines(), 1) if '"less"' in s)
    assert refused.json()["detail"] == MSG_REFUSED
    [error] = refused.json()["errors"]
    assert error["path"] == "$.stages[0].touchpoints[0].questions[0].rule"
    assert (
        error["line"] == line
        and error["column"] == broken.splitlines()[line - 1].index('"less"') + 1
    )
    assert error["message"] == '"rule" cannot be "less": use one of "at_most", "at_least".'
    syntax = client.post("/api/v1/journey/import", content=b"{", headers=bearer(token))
    assert syntax.status_code == 422 and syntax.json()["errors"][0]["line"] == 1
    huge = client.post(
        "/api/v1/journey/import", content=b" " * (document.MAX_BYTES + 1), headers=bearer(token)
    )
    assert huge.status_code == 413 and huge.json()["detail"] == MSG_TOO_LARGE
    assert counts(session, target.id) == (0, 0, 0)  # type: ignore[arg-type]

    made = client.post("/api/v1/journey/import", content=exported.content, headers=bearer(token))
    assert made.status_code == 201
    [stage] = made.json()["stages"]
    new_id = stage["touchpoints"][0]["id"]
    scope_session(session, target.id)  # type: ignore[arg-type]
    new_tp = session.get(Touchpoint, new_id)
    assert new_tp is not None and new_tp.org_id == target.id and new_tp.name == "Call"
    again = client.get("/api/v1/journey/export", headers=bearer(token)).json()
    assert again["stages"] == body["stages"]


def test_a_chain_of_conditional_questions_travels_with_its_rules(
    session: Session, db: Database
) -> None:
    """Rules name questions by lineage, which belongs to one database: the file names them by
    number, and the import names them by the new questions' lineages."""
    source = make_org(session, name="Consultant's client A")
    tp = make_touchpoint(session, source, name="The bar")
    offered = make_question(session, tp, text="Were you offered a drink?")
    which = make_question(
        session,
        tp,
        text="Which drink?",
        kind="choice",
        options=[{"label": "Coffee", "points": 1}, {"label": "Tea", "points": 1}],
        show_if={"question": offered.lineage, "is": "yes"},
    )
    make_question(
        session,
        tp,
        text="Was the coffee hot?",
        comment_on_fail=True,
        show_if={
            "all": [
                {"question": offered.lineage, "is": "yes"},
                {"question": which.lineage, "in": [0]},
            ]
        },
    )
    session.commit()
    scope_session(session, source.id)  # type: ignore[arg-type]
    data = document.dumps(document.write(transfer_queries.journey_file(session, org_name="A")))
    assert '"question": 1' in data and offered.lineage not in data

    target = make_org(session, name="Consultant's client B")
    scope_session(session, target.id)  # type: ignore[arg-type]
    services.journey_import(session=session, org_id=target.id, journey=document.read(data.encode()))  # type: ignore[arg-type]

    [new_tp] = session.exec(select(Touchpoint).where(Touchpoint.org_id == target.id)).all()
    q1, q2, q3 = journey_queries.questions(session, new_tp.id, status=QuestionStatus.active)  # type: ignore[arg-type]
    assert q2.show_if == {"question": q1.lineage, "is": "yes"}
    assert q3.show_if == {
        "all": [{"question": q1.lineage, "is": "yes"}, {"question": q2.lineage, "in": [0]}]
    }
    assert q3.comment_on_fail and not q2.comment_on_fail
