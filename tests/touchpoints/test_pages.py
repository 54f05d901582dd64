"""Owner pages for the journey, as a browser tab sees them: full pages and htmx fragments."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from sqlmodel import Session, col, select

from app.db import Database
from app.orgs.models import Organization, Role, User
from app.tenancy import MSG_FORBIDDEN
from tests.conftest import Browser, sign_in
from tests.factories import (
    make_answer,
    make_member,
    make_org,
    make_question,
    make_shop,
    make_stage,
    make_touchpoint,
)
from touchpoints.library import template_set
from touchpoints.models import MSG_CHOICE_OPTIONS, Question, QuestionStatus, Stage, Touchpoint
from touchpoints.services import (
    MSG_STAGE_ARCHIVED,
    MSG_STAGE_NAME_TAKEN,
    MSG_STAGE_UNKNOWN,
    MSG_TOUCHPOINT_ARCHIVED,
)

STAGE_HEAD = re.compile(
    r'<h2[^>]*><span class="stage-number" aria-hidden="true">\d+</span> (.*?)</h2>'
)
CARD = re.compile(r'<a class="tp-name" href="/touchpoints/\d+">(.*?)</a>')
Q_TEXT = re.compile(r'<p class="q-text">(.*?)</p>')


def board(html: str) -> list[tuple[str, list[str]]]:
    """The journey map as a reader sees it: each column's heading and its cards, in order."""
    columns = []
    for chunk in html.split('<li class="stage" id="stage-')[1:]:
        head = STAGE_HEAD.search(chunk)
        columns.append((unescape(head.group(1)) if head else "", unescape_all(CARD.findall(chunk))))
    return columns


def field_value(html: str, field_id: str) -> str | None:
    """What a form field shows, whether it is drawn as an input or a textarea."""
    found = re.search(rf'<input id="{field_id}"[^>]*?\svalue="([^"]*)"', html) or re.search(
        rf'<textarea id="{field_id}"[^>]*>(.*?)</textarea>', html, re.S
    )
    return unescape(found.group(1)) if found else None


def move_button(html: str, action: str, direction: str) -> str:
    """The opening tag of the up or down button that posts to `action`."""
    for tag in re.findall(r"<button[^>]*>", html):
        if f'hx-post="{action}"' in tag and f'"direction": "{direction}"' in tag:
            return tag  # type: ignore[no-any-return]
    raise AssertionError(f"no {direction} button for {action}")


def checklist(html: str) -> list[str]:
    return unescape_all(Q_TEXT.findall(html))


def unescape_all(items: list[str]) -> list[str]:
    return [unescape(i) for i in items]


def text_of(response: Any) -> str:
    return unescape(response.text)  # type: ignore[no-any-return]


def _as(
    client: Browser, session: Session, db: Database, role: Role = Role.owner
) -> tuple[Organization, User]:
    org = make_org(session, name="Harbour Bikes")
    user = make_member(session, org, role)
    sign_in(client, db, user, org)
    return org, user


@pytest.fixture
def owner_org(client: Browser, session: Session, db: Database) -> Organization:
    return _as(client, session, db)[0]


def _fresh(session: Session) -> Session:
    # End the read snapshot and forget loaded rows, so the app's commits are visible.
    session.rollback()
    session.expire_all()
    return session


def _questions(session: Session, tp: Touchpoint) -> list[Question]:
    return list(
        _fresh(session).exec(
            select(Question)
            .where(Question.touchpoint_id == tp.id, Question.status == QuestionStatus.active)
            .order_by(col(Question.position))
        )
    )


# --- the journey map -----------------------------------------------------------------------


def test_an_empty_journey_invites_the_owner_to_start(
    client: Browser, owner_org: Organization
) -> None:
    page = client.get("/journey")
    assert page.status_code == 200
    assert "<h1>Customer journey</h1>" in page.text
    assert "Your journey is empty." in page.text
    assert "Start with the five moments of truth" in page.text
    assert '<input type="hidden" name="set_key" value="five-moments">' in page.text
    assert 'href="/journey/templates"' in page.text
    assert board(page.text) == []


def test_starting_with_the_five_moments_builds_the_map(
    client: Browser, owner_org: Organization
) -> None:
    client.get("/journey")
    applied = client.form("/journey/templates/apply", {"set_key": "five-moments"})
    assert applied.status_code == 303  # type: ignore[attr-defined]
    assert applied.headers["location"] == "/journey"  # type: ignore[attr-defined]
    page = client.get("/journey")
    five = template_set("five-moments")
    assert five is not None
    names = [t.name for t in five.touchpoints]
    assert f"Added 5 touchpoints: {', '.join(names)}." in text_of(page)
    assert "Your journey is empty." not in page.text
    assert board(page.text) == [
        ("Inquiry", [names[0]]),
        ("Visit", [names[1]]),
        ("Sale", [names[2]]),
        ("After the sale", [names[3]]),
        ("Billing", [names[4]]),
    ]
    # Each card carries what the map promises: channel, mode, team, target, question count.
    first = five.touchpoints[0]
    assert "Owned by Front desk" in page.text
    assert f"target {first.target}" in page.text
    assert f"{len(first.questions)} questions" in page.text
    assert "No approved shops yet" in page.text

    again = client.form("/journey/templates/apply", {"set_key": "five-moments"})
    assert again.status_code == 303  # type: ignore[attr-defined]
    page = client.get("/journey")
    assert "Already on your journey, not added again" in page.text
    assert len(board(page.text)) == 5


def test_an_unknown_template_is_an_error_page_not_a_crash(
    client: Browser, owner_org: Organization
) -> None:
    client.get("/journey")
    response = client.form("/journey/templates/apply", {"set_key": "nope"})
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "There is no template with that name." in response.text  # type: ignore[attr-defined]


def test_moving_a_touchpoint_up_and_down_redraws_the_board(
    client: Browser, session: Session, owner_org: Organization
) -> None:
    stage = make_stage(session, owner_org, name="Visit")
    a, b, c = (
        make_touchpoint(session, owner_org, stage, name=n, position=i)
        for i, n in enumerate(("Door", "Desk", "Till"), start=1)
    )
    up = client.htmx("POST", f"/touchpoints/{c.id}/move", {"direction": "up"})
    assert up.status_code == 200  # type: ignore[attr-defined]
    assert up.text.lstrip().startswith('<div id="journey-board"')  # type: ignore[attr-defined]
    assert "<html" not in up.text  # type: ignore[attr-defined]
    assert board(up.text) == [("Visit", ["Door", "Till", "Desk"])]  # type: ignore[attr-defined]

    down = client.htmx("POST", f"/touchpoints/{a.id}/move", {"direction": "down"})
    assert board(down.text) == [("Visit", ["Till", "Door", "Desk"])]  # type: ignore[attr-defined]

    # The first card's up button and the last card's down button are disabled.
    html = down.text  # type: ignore[attr-defined]
    assert "disabled" in move_button(html, f"/touchpoints/{c.id}/move", "up")
    assert "disabled" not in move_button(html, f"/touchpoints/{c.id}/move", "down")
    assert "disabled" in move_button(html, f"/touchpoints/{b.id}/move", "down")
    assert "disabled" not in move_button(html, f"/touchpoints/{a.id}/move", "up")
    noop = client.htmx("POST", f"/touchpoints/{c.id}/move", {"direction": "up"})
    assert board(noop.text) == [("Visit", ["Till", "Door", "Desk"])]  # type: ignore[attr-defined]
    # A full page load shows the same order.
    assert board(client.get("/journey").text) == [("Visit", ["Till", "Door", "Desk"])]


def test_moving_stages_reorders_the_columns(
    client: Browser, session: Session, owner_org: Organization
) -> None:
    first = make_stage(session, owner_org, name="Inquiry", position=1)
    make_stage(session, owner_org, name="Visit", position=2)
    moved = client.htmx("POST", f"/stages/{first.id}/move", {"direction": "down"})
    assert [name for name, _ in board(moved.text)] == ["Visit", "Inquiry"]  # type: ignore[attr-defined]


def test_adding_a_stage_and_a_touchpoint_inline(
    client: Browser, session: Session, owner_org: Organization
) -> None:
    added = client.htmx("POST", "/stages", {"name": "  In the shop "})
    assert added.status_code == 200  # type: ignore[attr-defined]
    assert "<html" not in added.text  # type: ignore[attr-defined]
    assert board(added.text) == [("In the shop", [])]  # type: ignore[attr-defined]
    stage = _fresh(session).exec(select(Stage).where(Stage.org_id == owner_org.id)).one()

    card = client.htmx(
        "POST",
        "/touchpoints",
        {
            "stage_id": str(stage.id),
            "name": "Walking in",
            "channel": "walk_in",
            "mode": "both",
            "team": "Floor staff",
            "target": "85",
        },
    )
    assert card.status_code == 200  # type: ignore[attr-defined]
    html = text_of(card)
    assert board(html) == [("In the shop", ["Walking in"])]
    assert "is-new" in html  # the new card is highlighted
    assert "People and machine" in html and "Owned by Floor staff" in html and "target 85" in html
    tp = _fresh(session).exec(select(Touchpoint).where(Touchpoint.org_id == owner_org.id)).one()
    assert (tp.name, tp.mode, tp.team, tp.target, tp.stage_id) == (
        "Walking in",
        "both",
        "Floor staff",
        85,
        stage.id,
    )


@pytest.mark.parametrize(
    ("name", "message"), [("", "This field is required."), ("   ", "Enter a name for the stage.")]
)
def test_an_empty_stage_name_is_shown_next_to_the_field(
    client: Browser, session: Session, owner_org: Organization, name: str, message: str
) -> None:
    refused = client.htmx("POST", "/stages", {"name": name})
    assert refused.status_code == 400  # type: ignore[attr-defined]
    html = refused.text  # type: ignore[attr-defined]
    assert f'<p class="error" id="new-stage-name-error">{message}</p>' in html
    assert 'aria-invalid="true" aria-describedby="new-stage-name-error"' in html
    assert _fresh(session).exec(select(Stage)).all() == []


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"name": "   "}, "name", "Enter a name for the touchpoint."),
        ({"target": "140"}, "target", "Input should be less than or equal to 100."),
        (
            {"target": "lots"},
            "target",
            "Input should be a valid integer, unable to parse string as an integer.",
        ),
    ],
)
def test_bad_touchpoint_input_is_shown_next_to_the_field(
    client: Browser,
    session: Session,
    owner_org: Organization,
    fields: dict[str, str],
    field: str,
    message: str,
) -> None:
    stage = make_stage(session, owner_org, name="Visit")
    form = {"stage_id": str(stage.id), "name": "Walking in", "team": "Floor staff", **fields}
    refused = client.htmx("POST", "/touchpoints", form)
    assert refused.status_code == 400  # type: ignore[attr-defined]
    html = refused.text  # type: ignore[attr-defined]
    error_id = f"tp-{field}-{stage.id}-error"
    assert f'<p class="error" id="{error_id}">{message}</p>' in html
    assert f'aria-describedby="{error_id}"' in html
    assert '<details class="add-touchpoint" open>' in html  # the form stays open
    assert field_value(html, f"tp-team-{stage.id}") == "Floor staff"  # what was typed stays
    assert _fresh(session).exec(select(Touchpoint)).all() == []


def test_renaming_a_stage_inline(
    client: Browser, session: Session, owner_org: Organization
) -> None:
    stage = make_stage(session, owner_org, name="Visit")
    form = client.get(f"/stages/{stage.id}/edit", headers={"HX-Request": "true"})
    assert field_value(form.text, f"stage-name-{stage.id}") == "Visit"
    blank = client.htmx("POST", f"/stages/{stage.id}", {"name": " "})
    assert blank.status_code == 400  # type: ignore[attr-defined]
    assert f'id="stage-name-{stage.id}-error">Enter a name for the stage.' in blank.text  # type: ignore[attr-defined]
    saved = client.htmx("POST", f"/stages/{stage.id}", {"name": "In the shop"})
    assert board(saved.text) == [("In the shop", [])]  # type: ignore[attr-defined]


def test_a_stage_name_the_journey_has_is_refused_next_to_the_field(
    client: Browser, session: Session, owner_org: Organization
) -> None:
    visit = make_stage(session, owner_org, name="Visit")
    make_stage(session, owner_org, name="After")
    taken = MSG_STAGE_NAME_TAKEN % {"name": "Visit"}

    added = client.htmx("POST", "/stages", {"name": "visit"})
    assert added.status_code == 400  # type: ignore[attr-defined]
    assert f'id="new-stage-name-error">{taken}</p>' in unescape(added.text)  # type: ignore[attr-defined]
    renamed = client.htmx("POST", f"/stages/{visit.id}", {"name": "AFTER"})
    assert renamed.status_code == 400  # type: ignore[attr-defined]
    message = MSG_STAGE_NAME_TAKEN % {"name": "After"}
    assert f'id="stage-name-{visit.id}-error">{message}' in unescape(renamed.text)  # type: ignore[attr-defined]
    assert field_value(renamed.text, f"stage-name-{visit.id}") == "AFTER"  # type: ignore[attr-defined]
    names = _fresh(session).exec(select(Stage.name).order_by(col(Stage.position))).all()
    assert names == ["Visit", "After"]


def test_archiving_and_restoring_a_touchpoint(
    client: Browser, session: Session, owner_org: Organization
) -> None:
    stage = make_stage(session, owner_org, name="Visit")
    tp = make_touchpoint(session, owner_org, stage, name="Walking in")
    make_touchpoint(session, owner_org, stage, name="Desk", position=2)
    client.get(f"/touchpoints/{tp.id}")
    archived = client.form(f"/touchpoints/{tp.id}/archive")
    assert archived.status_code == 303  # type: ignore[attr-defined]
    page = client.get(f"/touchpoints/{tp.id}")
    assert "Walking in is archived: new shops will not cover it." in page.text
    assert "This touchpoint is archived" in page.text
    assert "Restore touchpoint" in page.text
    assert "Add a question" not in page.text  # the checklist is frozen
    journey = client.get("/journey")
    assert board(journey.text) == [("Visit", ["Desk"])]
    assert "<strong>Archived</strong>" in journey.text
    restored = client.request(
        "POST",
        f"/touchpoints/{tp.id}/restore",
        headers={"HX-Request": "true", "HX-Target": "journey-board", "X-CSRF-Token": client.csrf},
    )
    assert restored.status_code == 200
    assert board(restored.text) == [("Visit", ["Desk", "Walking in"])]
    assert "<strong>Archived</strong>" not in restored.text


# --- the touchpoint page -------------------------------------------------------------------


def test_the_touchpoint_page_previews_the_checklist_and_example_scores(
    client: Browser, session: Session, owner_org: Organization
) -> None:
    tp = make_touchpoint(session, owner_org, name="Walking in", target=70)
    make_question(session, tp, text="Held the door?", guidance="Count from the handle")
    make_question(session, tp, text="Said hello?", allow_na=True)
    make_question(
        session,
        tp,
        text="How welcome?",
        kind="scale",
        scale_labels=["No", "Meh", "OK", "Yes", "Wow"],
    )
    make_question(session, tp, text="Offered help?", weight=2)
    make_question(session, tp, text="Anything else?", kind="text", required=False)
    page = client.get(f"/touchpoints/{tp.id}")
    assert page.status_code == 200
    html = text_of(page)
    assert "<h1>Walking in</h1>" in html
    assert "As the shopper sees it" in html
    assert (
        '<p class="pv-text">1. Held the door? <span class="req" aria-label="required">*</span></p>'
        in html
    )
    assert '<p class="pv-guidance small">Count from the handle</p>' in html
    assert '<p class="pv-text">5. Anything else?</p>' in html  # optional: no star
    assert '<span class="pv-btn pv-na">N/A</span>' in html
    assert "1 = No, 5 = Wow" in html
    rows = re.findall(
        r"<strong>(Perfect|Typical|Failing) visit</strong>.*?"
        r'<td data-label="Score"><strong>(\d+|—)</strong>.*?'
        r'<td data-label="Points">([\d.]+ / [\d.]+)</td>',
        html,
        re.S,
    )
    # Perfect: all points. Typical: the scale at 3 (half), every fourth check missed
    # (here the weight-2 one). Failing: nothing. Text is never scored.
    assert rows == [
        ("Perfect", "100", "5 / 5"),
        ("Typical", "50", "2.5 / 5"),
        ("Failing", "0", "0 / 5"),
    ]
    assert "Against a target of 70." in html
    # The one status mark (target 70, near band 5): 100 met, 50 and 0 below.
    assert html.count("✓</span> met") == 1 and html.count("✗</span> below") == 2


def test_a_critical_fail_shows_in_the_failing_example(
    client: Browser, session: Session, owner_org: Organization
) -> None:
    tp = make_touchpoint(session, owner_org)
    make_question(session, tp, text="Greeted?", critical=True)
    page = client.get(f"/touchpoints/{tp.id}")
    assert "A critical question failed, so the section scores 0." in page.text
    assert '<span class="chip chip-critical">Critical</span>' in page.text


def test_an_empty_checklist_says_so(
    client: Browser, session: Session, owner_org: Organization
) -> None:
    tp = make_touchpoint(session, owner_org)
    page = client.get(f"/touchpoints/{tp.id}")
    assert "No questions yet. Add the first one below." in page.text
    assert "The preview appears once the checklist has questions." in page.text
    assert "What visits would score" not in page.text


QUESTION_FORMS: list[tuple[str, dict[str, str], str, dict[str, Any]]] = [
    ("yes_no", {"kind": "yes_no", "weight": "2", "critical": "on"}, "Yes / no", {}),
    (
        "scale",
        {
            "kind": "scale",
            "scale_1": "Ignored",
            "scale_2": "Slow",
            "scale_3": "Polite",
            "scale_4": "Warm",
            "scale_5": "Delighted",
        },
        "1 = Ignored · 5 = Delighted",
        {"scale_labels": ["Ignored", "Slow", "Polite", "Warm", "Delighted"]},
    ),
    (
        "number",
        {"kind": "number", "rule": "at_most", "threshold": "3", "unit": "rings"},
        "Passes when at most 3 rings",
        {"rule": "at_most", "threshold": 3, "unit": "rings"},
    ),
    (
        "choice",
        {
            "kind": "choice",
            "option_label_0": "Not greeted",
            "option_points_0": "0",
            "option_label_1": "Nod",
            "option_points_1": "1",
            "option_label_2": "By name",
            "option_points_2": "3",
        },
        "Not greeted (0 pt); Nod (1 pt); By name (3 pt)",
        {
            "options": [
                {"label": "Not greeted", "points": 0},
                {"label": "Nod", "points": 1},
                {"label": "By name", "points": 3},
            ]
        },
    ),
    ("text", {"kind": "text", "allow_na": "on"}, "Free text (not scored)", {}),
]


def test_adding_a_question_of_each_kind_through_the_form(
    client: Browser, session: Session, owner_org: Organization
) -> None:
    tp = make_touchpoint(session, owner_org, name="Walking in")
    for n, (kind, form, shown, config) in enumerate(QUESTION_FORMS, start=1):
        text = f"Question {n} ({kind})?"
        added = client.htmx(
            "POST", f"/touchpoints/{tp.id}/questions", {"text": text, "guidance": "", **form}
        )
        assert added.status_code == 200, added.text  # type: ignore[attr-defined]
        html = text_of(added)
        assert html.lstrip().startswith('<div id="checklist">')
        assert "Question added." in html
        assert checklist(html)[-1] == text
        assert shown in html
        assert f'Checklist <span class="muted small">({n} question{"s" if n > 1 else ""})' in html
        saved = _questions(session, tp)[-1]
        assert (saved.text, saved.kind, saved.config) == (text, kind, config)
    stored = {q.kind: q for q in _questions(session, tp)}
    assert (stored["yes_no"].weight, stored["yes_no"].critical) == (2, True)
    assert (stored["text"].weight, stored["text"].allow_na) == (0, True)
    # The kind switch serves the matching fields.
    form = client.get(
        f"/touchpoints/{tp.id}/questions/new?kind=choice", headers={"HX-Request": "true"}
    )
    assert 'name="option_label_0"' in form.text and 'name="scale_1"' not in form.text
    # What was typed before the kind was chosen comes along (the switch sends it).
    kept = client.get(
        f"/touchpoints/{tp.id}/questions/new",
        params={
            "kind": "scale",
            "text": "How warm was the welcome?",
            "guidance": "Tone",
            "weight": "3",
        },
        headers={"HX-Request": "true"},
    )
    assert field_value(kept.text, "n-weight") == "3"
    assert field_value(kept.text, "n-text") == "How warm was the welcome?"
    assert field_value(kept.text, "n-guidance") == "Tone"


def test_a_bad_question_form_keeps_what_was_typed_and_saves_nothing(
    client: Browser, session: Session, owner_org: Organization
) -> None:
    tp = make_touchpoint(session, owner_org)
    refused = client.htmx(
        "POST",
        f"/touchpoints/{tp.id}/questions",
        {"text": "", "kind": "number", "rule": "at_least", "threshold": "", "unit": "minutes"},
    )
    assert refused.status_code == 400  # type: ignore[attr-defined]
    html = text_of(refused)
    assert '<p class="error" id="n-text-error">This field is required.</p>' in html
    assert field_value(html, "n-unit") == "minutes"
    assert '<option value="at_least" selected>' in html
    assert _questions(session, tp) == []


def test_editing_an_answered_question_saves_a_new_version(
    client: Browser, session: Session, owner_org: Organization
) -> None:
    tp = make_touchpoint(session, owner_org, name="Walking in")
    question = make_question(session, tp, text="Greeted at the door?", guidance="Within 10 s")
    make_answer(session, make_shop(session, owner_org, touchpoints=[tp]), question, True)
    old_id = question.id

    form = client.get(f"/questions/{old_id}/edit", headers={"HX-Request": "true"})
    assert form.status_code == 200
    assert "Answered in 1 shop. Changing the wording" in form.text
    assert field_value(form.text, f"e{old_id}-text") == "Greeted at the door?"

    saved = client.htmx(
        "POST",
        f"/questions/{old_id}",
        {"text": "Greeted warmly at the door?", "guidance": "Within 10 s", "kind": "yes_no"},
    )
    assert saved.status_code == 200  # type: ignore[attr-defined]
    html = text_of(saved)
    assert (
        "Saved as version 2. Shops that already answered keep version 1, as it was asked." in html
    )
    assert checklist(html) == ["Greeted warmly at the door?"]
    [current] = _questions(session, tp)
    assert current.id != old_id and current.version == 2
    assert f'<a href="/questions/{current.id}/versions">version 2</a>' in html

    history = client.get(f"/questions/{old_id}/versions")
    assert history.status_code == 200
    versions = re.findall(
        r"<strong>Version (\d)</strong>\s*<span class=\"chip chip-quiet\">(.*?)</span>.*?"
        r"answered in (\d) shops?</span></p>\s*<p>(.*?)</p>",
        text_of(history),
        re.S,
    )
    assert versions == [
        ("2", "current", "0", "Greeted warmly at the door?"),
        ("1", "earlier version", "1", "Greeted at the door?"),
    ]
    assert client.get(f"/questions/{current.id}/versions").text.count("<strong>Version") == 2

    # Removing it now retires the question: it leaves the checklist, its history stays.
    retired = client.htmx("POST", f"/questions/{current.id}/remove")
    html = text_of(retired)
    assert (
        "Question retired: it is off the checklist, and the shops that answered it keep it." in html
    )
    assert checklist(html) == []
    assert "Retired questions (1)" in html
    assert _fresh(session).get(Question, old_id).status == QuestionStatus.superseded  # type: ignore[union-attr]


def test_a_guidance_edit_of_an_answered_question_stays_in_place(
    client: Browser, session: Session, owner_org: Organization
) -> None:
    tp = make_touchpoint(session, owner_org)
    question = make_question(session, tp, text="Greeted?")
    make_answer(session, make_shop(session, owner_org, touchpoints=[tp]), question, True)
    saved = client.htmx(
        "POST",
        f"/questions/{question.id}",
        {"text": "Greeted?", "guidance": "Count from the door", "kind": "yes_no", "required": "on"},
    )
    assert "Question saved." in saved.text  # type: ignore[attr-defined]
    [current] = _questions(session, tp)
    assert (current.id, current.version, current.guidance) == (
        question.id,
        1,
        "Count from the door",
    )


def test_removing_an_unanswered_question_deletes_it(
    client: Browser, session: Session, owner_org: Organization
) -> None:
    tp = make_touchpoint(session, owner_org)
    question_id = make_question(session, tp, text="Greeted?").id
    removed = client.htmx("POST", f"/questions/{question_id}/remove")
    assert "Question deleted." in removed.text  # type: ignore[attr-defined]
    assert "Retired questions" not in removed.text  # type: ignore[attr-defined]
    assert _fresh(session).exec(select(Question).where(Question.id == question_id)).all() == []


def test_moving_questions_on_the_checklist(
    client: Browser, session: Session, owner_org: Organization
) -> None:
    tp = make_touchpoint(session, owner_org)
    first = make_question(session, tp, text="First?")
    second = make_question(session, tp, text="Second?")
    moved = client.htmx("POST", f"/questions/{second.id}/move", {"direction": "up"})
    assert checklist(moved.text) == ["Second?", "First?"]  # type: ignore[attr-defined]
    assert "disabled" in move_button(moved.text, f"/questions/{second.id}/move", "up")  # type: ignore[attr-defined]
    back = client.htmx("POST", f"/questions/{second.id}/move", {"direction": "down"})
    assert checklist(back.text) == ["First?", "Second?"]  # type: ignore[attr-defined]
    assert [q.id for q in _questions(session, tp)] == [first.id, second.id]


SETTINGS = {"name": "Walking in", "channel": "walk_in", "mode": "people", "team": "Floor"}


def test_touchpoint_settings_are_saved_inline_with_errors_next_to_the_field(
    client: Browser, session: Session, owner_org: Organization
) -> None:
    tp = make_touchpoint(session, owner_org, name="Walking in")
    bad = client.htmx(
        "POST",
        f"/touchpoints/{tp.id}",
        {**SETTINGS, "stage_id": str(tp.stage_id), "target": "140"},
    )
    assert bad.status_code == 400  # type: ignore[attr-defined]
    assert (
        '<p class="error" id="s-target-error">Input should be less than or equal to 100.</p>'
        in bad.text
    )  # type: ignore[attr-defined]
    assert _fresh(session).get(Touchpoint, tp.id).target == 80  # type: ignore[union-attr]
    good = client.htmx(
        "POST",
        f"/touchpoints/{tp.id}",
        {**SETTINGS, "stage_id": str(tp.stage_id), "target": "90"},
    )
    assert good.status_code == 200  # type: ignore[attr-defined]
    assert '<span class="saved" role="status">Saved</span>' in good.text  # type: ignore[attr-defined]
    assert _fresh(session).get(Touchpoint, tp.id).target == 90  # type: ignore[union-attr]


# --- other roles ---------------------------------------------------------------------------


def test_a_viewer_sees_the_map_without_edit_controls(
    client: Browser, session: Session, db: Database
) -> None:
    org, _ = _as(client, session, db, Role.viewer)
    stage = make_stage(session, org, name="Visit")
    tp = make_touchpoint(session, org, stage, name="Walking in")
    make_touchpoint(session, org, stage, name="Desk", position=2)
    make_question(session, tp, text="Greeted?")
    page = client.get("/journey")
    assert page.status_code == 200
    assert board(page.text) == [("Visit", ["Walking in", "Desk"])]
    for control in (
        "/move",
        "Add stage",
        "Add touchpoint",
        "/archive",
        "Rename",
        "Add from templates",
    ):
        assert control not in page.text, control
    detail = client.get(f"/touchpoints/{tp.id}")
    assert detail.status_code == 200
    assert checklist(detail.text) == ["Greeted?"]
    for control in (
        "Add a question",
        "/edit",
        "/remove",
        "Archive touchpoint",
        "Touchpoint settings",
    ):
        assert control not in detail.text, control
    # And the server refuses what the page does not offer.
    refused = client.htmx("POST", "/stages", {"name": "Mine"})
    assert refused.status_code == 403  # type: ignore[attr-defined]
    assert client.get("/journey/templates").status_code == 403


def test_a_shopper_cannot_open_the_journey(client: Browser, session: Session, db: Database) -> None:
    org, _ = _as(client, session, db, Role.shopper)
    tp = make_touchpoint(session, org)
    for path in ("/journey", f"/touchpoints/{tp.id}"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert MSG_FORBIDDEN in response.text


def test_another_organizations_touchpoint_is_not_found(
    client: Browser, session: Session, owner_org: Organization
) -> None:
    other = make_org(session)
    theirs = make_touchpoint(session, other, name="Their secret")
    response = client.get(f"/touchpoints/{theirs.id}")
    assert response.status_code == 404
    assert "Their secret" not in response.text


def test_saving_an_out_of_date_edit_form_says_why(
    client: Browser, session: Session, owner_org: Organization
) -> None:
    # Two tabs: one saved version 2 while the other still shows version 1's edit form.
    tp = make_touchpoint(session, owner_org)
    question = make_question(session, tp, text="Greeted?")
    make_answer(session, make_shop(session, owner_org, touchpoints=[tp]), question, True)
    old_id = question.id
    client.htmx("POST", f"/questions/{old_id}", {"text": "Greeted warmly?", "kind": "yes_no"})
    late = client.htmx(
        "POST", f"/questions/{old_id}", {"text": "Greeted by name?", "kind": "yes_no"}
    )
    assert late.status_code == 400  # type: ignore[attr-defined]
    html = text_of(late)
    assert "Only the current version of a question can be edited." in html
    assert checklist(html) == ["Greeted warmly?"]
    assert [q.text for q in _questions(session, tp)] == ["Greeted warmly?"]


def test_adding_to_a_touchpoint_archived_meanwhile_says_why(
    client: Browser, session: Session, owner_org: Organization
) -> None:
    tp = make_touchpoint(session, owner_org)
    client.get(f"/touchpoints/{tp.id}")
    client.form(f"/touchpoints/{tp.id}/archive")  # in another tab
    late = client.htmx("POST", f"/touchpoints/{tp.id}/questions", {"text": "Q?", "kind": "yes_no"})
    assert late.status_code == 400  # type: ignore[attr-defined]
    assert MSG_TOUCHPOINT_ARCHIVED in text_of(late)
    assert _questions(session, tp) == []


@pytest.mark.parametrize("stage_id", ["", "abc", "987654"])
def test_adding_a_touchpoint_without_a_known_stage_says_so(
    client: Browser, session: Session, owner_org: Organization, stage_id: str
) -> None:
    make_stage(session, owner_org, name="Visit")
    refused = client.htmx("POST", "/touchpoints", {"stage_id": stage_id, "name": "Door"})
    assert refused.status_code == 400  # type: ignore[attr-defined]
    assert f'<p class="error error-block" role="alert">{MSG_STAGE_UNKNOWN}</p>' in text_of(refused)
    assert _fresh(session).exec(select(Touchpoint)).all() == []


def test_adding_a_touchpoint_to_a_stage_archived_meanwhile_says_so(
    client: Browser, session: Session, owner_org: Organization
) -> None:
    stage = make_stage(session, owner_org, name="Visit")
    client.htmx("POST", f"/stages/{stage.id}/archive")  # in another tab
    refused = client.htmx("POST", "/touchpoints", {"stage_id": str(stage.id), "name": "Door"})
    assert refused.status_code == 400  # type: ignore[attr-defined]
    assert MSG_STAGE_ARCHIVED in text_of(refused)
    assert _fresh(session).exec(select(Touchpoint)).all() == []


def test_a_checklist_of_free_text_only_has_no_score(
    client: Browser, session: Session, owner_org: Organization
) -> None:
    tp = make_touchpoint(session, owner_org)
    make_question(session, tp, text="What did you notice?", kind="text")
    html = text_of(client.get(f"/touchpoints/{tp.id}"))
    assert html.count('<td data-label="Score"><strong>—</strong>') == 3
    assert "tstatus" not in html  # no score, no status


def test_archiving_and_restoring_a_stage_column(
    client: Browser, session: Session, owner_org: Organization
) -> None:
    inquiry = make_stage(session, owner_org, name="Inquiry", position=1)
    make_stage(session, owner_org, name="Visit", position=2)
    make_touchpoint(session, owner_org, inquiry, name="First call")
    archived = client.htmx("POST", f"/stages/{inquiry.id}/archive")
    html = text_of(archived)
    assert board(html) == [("Visit", [])]
    assert "<span>Stage: Inquiry</span>" in html
    restored = client.htmx("POST", f"/stages/{inquiry.id}/restore")
    assert board(restored.text) == [("Visit", []), ("Inquiry", ["First call"])]  # type: ignore[attr-defined]


def test_a_bad_edit_is_shown_in_the_edit_form_and_changes_nothing(
    client: Browser, session: Session, owner_org: Organization
) -> None:
    tp = make_touchpoint(session, owner_org)
    question = make_question(session, tp, text="Greeted?")
    refused = client.htmx(
        "POST", f"/questions/{question.id}", {"text": "How greeted?", "kind": "choice"}
    )
    assert refused.status_code == 400  # type: ignore[attr-defined]
    html = text_of(refused)
    assert f'<p class="error" id="e{question.id}-options-error">{MSG_CHOICE_OPTIONS}</p>' in html
    assert field_value(html, f"e{question.id}-text") == "How greeted?"
    [kept] = _questions(session, tp)
    assert (kept.id, kept.text, kept.kind) == (question.id, "Greeted?", "yes_no")


def test_settings_refuse_another_organizations_stage_next_to_the_field(
    client: Browser, session: Session, owner_org: Organization
) -> None:
    tp = make_touchpoint(session, owner_org, name="Walking in")
    foreign = make_stage(session, make_org(session), name="Theirs")
    refused = client.htmx(
        "POST", f"/touchpoints/{tp.id}", {**SETTINGS, "stage_id": str(foreign.id), "target": "80"}
    )
    assert refused.status_code == 400  # type: ignore[attr-defined]
    assert f'<p class="error" id="s-stage-error">{MSG_STAGE_UNKNOWN}</p>' in text_of(refused)
    assert _fresh(session).get(Touchpoint, tp.id).stage_id == tp.stage_id  # type: ignore[union-attr]


# --- drag and drop -------------------------------------------------------------------------


def test_a_dropped_touchpoint_lands_in_its_stage_at_its_place(
    client: Browser, session: Session, owner_org: Organization
) -> None:
    visit = make_stage(session, owner_org, name="Visit", position=1)
    sale = make_stage(session, owner_org, name="Sale", position=2)
    door = make_touchpoint(session, owner_org, visit, name="Door", position=1)
    desk = make_touchpoint(session, owner_org, visit, name="Desk", position=2)
    till = make_touchpoint(session, owner_org, sale, name="Till", position=1)

    page = client.get("/journey").text
    assert "data-drag-stages" in page and f'data-stage="{visit.id}"' in page
    assert f'id="touchpoint-{door.id}" draggable="true" data-drag-card' in page

    within = client.htmx(
        "POST",
        f"/touchpoints/{desk.id}/place",
        {"stage_id": str(visit.id), "ids": f"{desk.id},{door.id}"},
    )
    assert board(within.text) == [("Visit", ["Desk", "Door"]), ("Sale", ["Till"])]  # type: ignore[attr-defined]
    across = client.htmx(
        "POST",
        f"/touchpoints/{door.id}/place",
        {"stage_id": str(sale.id), "ids": f"{door.id},{till.id}"},
    )
    assert board(across.text) == [("Visit", ["Desk"]), ("Sale", ["Door", "Till"])]  # type: ignore[attr-defined]
    stages = client.htmx("POST", "/journey/order", {"ids": f"{sale.id},{visit.id}"})
    assert board(stages.text) == [("Sale", ["Door", "Till"]), ("Visit", ["Desk"])]  # type: ignore[attr-defined]
    assert board(client.get("/journey").text) == [("Sale", ["Door", "Till"]), ("Visit", ["Desk"])]


@pytest.mark.parametrize(
    "form",
    [
        {"ids": "1,2"},  # no stage
        {"stage_id": "x", "ids": "1"},
        {"stage_id": "{sale}", "ids": "{door}"},  # Till is missing: a stale list
        {"stage_id": "{sale}", "ids": "{door},{till},{till}"},
        {"stage_id": "{sale}", "ids": "two,three"},
        {"stage_id": "{other}", "ids": "{door}"},  # another organization's stage
    ],
)
def test_a_drop_that_does_not_match_the_map_changes_nothing(
    client: Browser, session: Session, owner_org: Organization, form: dict[str, str]
) -> None:
    visit = make_stage(session, owner_org, name="Visit", position=1)
    sale = make_stage(session, owner_org, name="Sale", position=2)
    door = make_touchpoint(session, owner_org, visit, name="Door")
    till = make_touchpoint(session, owner_org, sale, name="Till")
    elsewhere = make_org(session, name="Elsewhere")
    other = make_stage(session, elsewhere, name="Theirs")
    names = {"sale": sale.id, "door": door.id, "till": till.id, "other": other.id}
    sent = {key: value.format(**names) for key, value in form.items()}

    refused = client.htmx("POST", f"/touchpoints/{door.id}/place", sent)

    assert refused.status_code == 409  # type: ignore[attr-defined]
    assert board(client.get("/journey").text) == [("Visit", ["Door"]), ("Sale", ["Till"])]
    assert _fresh(session).get(Touchpoint, door.id).stage_id == visit.id  # type: ignore[union-attr]
    assert client.htmx("POST", "/journey/order", {"ids": f"{sale.id}"}).status_code == 409  # type: ignore[attr-defined]
