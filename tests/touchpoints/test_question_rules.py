"""Owners set show-when rules and evidence rules, on the touchpoint page and through the API:
a rule names earlier questions only, never makes a loop, never an option that does not exist;
a refused rule gets its message next to its row on the page and a precise 4xx from the API."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from sqlmodel import Session

from app.orgs.models import Organization
from tests.conftest import Browser
from tests.factories import make_answer, make_question, make_shop, make_touchpoint
from tests.touchpoints.test_api import Owner, _tp, owner  # noqa: F401  (the fixture)
from tests.touchpoints.test_pages import _fresh, _questions, owner_org, text_of  # noqa: F401
from touchpoints import conditions
from touchpoints.forms import MSG_COND_OPTION
from touchpoints.models import MSG_TEXT_COMMENT_ON_FAIL, Question, QuestionStatus
from touchpoints.services import MSG_RULE_DEPENDENT, MSG_RULE_ORDER, MSG_RULE_REMOVE

DRINK = {"text": "Were you offered a drink?", "kind": "yes_no", "allow_na": True}
WHICH = {
    "text": "Which drinks?",
    "kind": "choice",
    "options": [
        {"label": "Water", "points": 1},
        {"label": "Coffee", "points": 2},
        {"label": "Juice", "points": 1},
    ],
}


def _chain(api: Owner) -> tuple[int, dict[str, Any], dict[str, Any]]:
    tp_id = _tp(api)
    drink = api.post(f"/touchpoints/{tp_id}/questions", DRINK).json()
    which = api.post(
        f"/touchpoints/{tp_id}/questions",
        {**WHICH, "show_if": {"question": drink["lineage"], "is": "yes"}},
    )
    assert which.status_code == 201, which.text
    return tp_id, drink, which.json()


def test_api_rules_and_evidence_round_trip(owner: Owner) -> None:  # noqa: F811
    tp_id, drink, which = _chain(owner)
    assert which["show_if"] == {"question": drink["lineage"], "is": "yes"}
    taste = owner.post(
        f"/touchpoints/{tp_id}/questions",
        {
            "text": "How did it taste?",
            "kind": "scale",
            "scale_labels": ["1", "2", "3", "4", "5"],
            "show_if": {
                "any": [
                    {"question": which["lineage"], "in": [2, 1, 1]},
                    {"question": drink["lineage"], "is": "na"},
                ]
            },
            "photo_required": True,
            "comment_on_fail": True,
        },
    )
    assert taste.status_code == 201, taste.text
    body = taste.json()
    # Kept in its clean form: options sorted, once each.
    assert body["show_if"]["any"][0] == {"question": which["lineage"], "in": [1, 2]}
    assert (body["photo_required"], body["comment_on_fail"]) == (True, True)
    assert owner.get(f"/questions/{body['id']}").json() == body


def test_api_refuses_bad_rules_with_a_precise_error(owner: Owner) -> None:  # noqa: F811
    tp_id, drink, which = _chain(owner)
    url = f"/touchpoints/{tp_id}/questions"

    def refused(body: dict[str, Any], path: str = url, put: bool = False) -> dict[str, Any]:
        response = owner.put(path, body) if put else owner.post(path, body)
        assert response.status_code == 400, response.text
        return response.json()  # type: ignore[no-any-return]

    missing_option = refused({**DRINK, "show_if": {"question": which["lineage"], "in": [3]}})
    assert missing_option == {
        "detail": "Option 4 does not exist: «Which drinks?» has 3 options.",
        "field": "show_if",
    }
    unknown = refused({**DRINK, "show_if": {"question": "no-such-question", "is": "yes"}})
    assert unknown["detail"] == conditions.MSG_UNKNOWN
    wrong_kind = refused({**DRINK, "show_if": {"question": which["lineage"], "is": "yes"}})
    assert (
        wrong_kind["detail"] == "«Which drinks?» is not a yes/no question: use another condition."
    )
    # The first question pointing at the second, which comes later and depends on it: a loop.
    loop = refused(
        {**DRINK, "show_if": {"question": which["lineage"], "in": [0]}},
        path=f"/questions/{drink['id']}",
        put=True,
    )
    assert loop["detail"] == conditions.MSG_CYCLE % {"text": "Which drinks?"}
    later = owner.post(url, {"text": "Thanked you?", "kind": "yes_no"}).json()
    forward = refused(
        {**DRINK, "show_if": {"question": later["lineage"], "is": "yes"}},
        path=f"/questions/{drink['id']}",
        put=True,
    )
    assert forward["detail"] == conditions.MSG_FORWARD % {"text": "Thanked you?"}
    itself = refused(
        {**DRINK, "show_if": {"question": drink["lineage"], "is": "yes"}},
        path=f"/questions/{drink['id']}",
        put=True,
    )
    assert itself["detail"] == conditions.MSG_SELF
    shape = owner.post(url, {**DRINK, "show_if": {"all": []}})
    assert shape.status_code == 400 and shape.json()["detail"] == conditions.MSG_EMPTY_GROUP
    text_fail = owner.post(url, {"text": "Notes", "kind": "text", "comment_on_fail": True})
    assert text_fail.status_code == 422
    assert text_fail.json()["detail"][0]["msg"].endswith(MSG_TEXT_COMMENT_ON_FAIL)
    # Nothing of the refused ones was written.
    names = [q["text"] for q in owner.get(f"/touchpoints/{tp_id}/questions").json()]
    assert names == ["Were you offered a drink?", "Which drinks?", "Thanked you?"]
    assert owner.get(f"/questions/{drink['id']}").json()["show_if"] is None


def test_order_removal_and_trigger_edits_keep_rules_standing(owner: Owner) -> None:  # noqa: F811
    tp_id, drink, which = _chain(owner)
    order = owner.put(f"/touchpoints/{tp_id}/questions/order", {"ids": [which["id"], drink["id"]]})
    assert order.status_code == 409
    assert order.json()["detail"] == MSG_RULE_ORDER % {
        "text": "Which drinks?",
        "other": "Were you offered a drink?",
    }
    removed = owner.delete(f"/questions/{drink['id']}")
    assert removed.status_code == 409
    assert removed.json()["detail"] == MSG_RULE_REMOVE % {"text": "Which drinks?"}
    # Turning the trigger into a scale would leave "is yes" meaningless.
    changed = owner.put(
        f"/questions/{drink['id']}",
        {"text": DRINK["text"], "kind": "scale", "scale_labels": ["1", "2", "3", "4", "5"]},
    )
    assert changed.status_code == 409
    assert changed.json()["detail"] == MSG_RULE_DEPENDENT % {
        "text": "Which drinks?",
        "reason": "«Were you offered a drink?» is not a yes/no question: use another condition.",
    }
    ids = [q["id"] for q in owner.get(f"/touchpoints/{tp_id}/questions").json()]
    assert ids == [drink["id"], which["id"]]


def test_a_rule_is_part_of_the_version(owner: Owner, session: Session) -> None:  # noqa: F811
    tp_id, drink, which = _chain(owner)
    session.rollback()
    session.expire_all()
    asked = session.get(Question, which["id"])
    assert asked is not None
    from touchpoints.models import Touchpoint

    tp = session.get(Touchpoint, tp_id)
    assert tp is not None
    make_answer(session, make_shop(session, owner.org, touchpoints=[tp]), asked, 1)
    edited = owner.put(
        f"/questions/{which['id']}",
        {**WHICH, "show_if": {"question": drink["lineage"], "is": "no"}},
    ).json()
    assert edited["new_version"] is True
    assert edited["question"]["show_if"] == {"question": drink["lineage"], "is": "no"}
    old = owner.get(f"/questions/{which['id']}").json()
    assert old["status"] == QuestionStatus.superseded
    assert old["show_if"] == {"question": drink["lineage"], "is": "yes"}
    # Evidence rules change in place, as `required` does.
    same = owner.put(
        f"/questions/{edited['question']['id']}",
        {**WHICH, "show_if": edited["question"]["show_if"], "photo_required": True},
    ).json()
    assert same["new_version"] is False and same["question"]["photo_required"] is True


# --- the page -------------------------------------------------------------------------------


def test_owner_sets_a_rule_inline_and_sees_it_in_words(
    client: Browser,
    session: Session,
    owner_org: Organization,  # noqa: F811
) -> None:
    tp = make_touchpoint(session, owner_org, name="At the bar")
    drink = make_question(session, tp, **DRINK)
    which = make_question(session, tp, **WHICH, show_if={"question": drink.lineage, "is": "yes"})
    page = client.get(f"/touchpoints/{tp.id}")
    assert "Asked only when «Were you offered a drink?» is yes" in page.text
    # The add form offers the earlier questions for a rule.
    assert f'<option value="{which.lineage}">2. Which drinks?</option>' in page.text

    added = client.htmx(
        "POST",
        f"/touchpoints/{tp.id}/questions",
        {
            "text": "How did it taste?",
            "kind": "yes_no",
            "show_when": "all",
            "cond_q_0": which.lineage,
            "cond_test_0": "in",
            "cond_value_0": "coffee, Juice",
            "photo_required": "on",
            "comment_on_fail": "on",
        },
    )
    html = text_of(added)
    assert added.status_code == 200, html  # type: ignore[attr-defined]
    assert "Asked only when «Which drinks?» is Coffee or Juice" in html
    assert "Photo needed" in html and "Comment when it fails" in html
    taste = _questions(session, tp)[-1]
    assert taste.show_if == {"all": [{"question": which.lineage, "in": [1, 2]}]}
    assert (taste.photo_required, taste.comment_on_fail) == (True, True)

    # Its edit form shows the rule as it was set, option names and all.
    form = client.get(f"/questions/{taste.id}/edit", headers={"HX-Request": "true"})
    assert f'<option value="{which.lineage}" selected>2. Which drinks?</option>' in form.text
    assert 'value="Coffee, Juice"' in form.text
    assert '<option value="all" selected>' in form.text


def test_a_bad_rule_on_the_page_is_said_next_to_its_row(
    client: Browser,
    session: Session,
    owner_org: Organization,  # noqa: F811
) -> None:
    tp = make_touchpoint(session, owner_org)
    drink = make_question(session, tp, **DRINK)
    which = make_question(session, tp, **WHICH)
    refused = client.htmx(
        "POST",
        f"/touchpoints/{tp.id}/questions",
        {
            "text": "How did it taste?",
            "kind": "yes_no",
            "show_when": "any",
            "cond_q_0": drink.lineage,
            "cond_test_0": "yes",
            "cond_q_1": which.lineage,
            "cond_test_1": "in",
            "cond_value_1": "Coffee, Lemonade",
        },
    )
    assert refused.status_code == 400  # type: ignore[attr-defined]
    html = text_of(refused)
    message = MSG_COND_OPTION % {
        "label": "Lemonade",
        "text": "Which drinks?",
        "labels": "Water, Coffee, Juice",
    }
    assert f'<p class="error" id="n-cond_1-error">{message}</p>' in html.replace("&#34;", '"')
    assert 'value="Coffee, Lemonade"' in html  # what was typed is kept
    assert len(_questions(session, tp)) == 2

    # A rule on a later question (a hand-made post: the form offers only earlier ones).
    edit = client.htmx(
        "POST",
        f"/questions/{drink.id}",
        {
            "text": DRINK["text"],
            "kind": "yes_no",
            "allow_na": "on",
            "show_when": "all",
            "cond_q_0": which.lineage,
            "cond_test_0": "in",
            "cond_value_0": "Water",
        },
    )
    assert edit.status_code == 400  # type: ignore[attr-defined]
    forward = conditions.MSG_FORWARD % {"text": "Which drinks?"}
    assert f'id="e{drink.id}-cond_0-error">{forward}</p>' in text_of(edit)
    assert _fresh(session).get(Question, drink.id).show_if is None  # type: ignore[union-attr]


def test_moving_a_follow_up_above_its_question_is_refused_on_the_page(
    client: Browser,
    session: Session,
    owner_org: Organization,  # noqa: F811
) -> None:
    tp = make_touchpoint(session, owner_org)
    drink = make_question(session, tp, **DRINK)
    which = make_question(session, tp, **WHICH, show_if={"question": drink.lineage, "is": "yes"})
    moved = client.htmx("POST", f"/questions/{which.id}/move", {"direction": "up"})
    assert moved.status_code == 400  # type: ignore[attr-defined]
    assert MSG_RULE_ORDER % {"text": "Which drinks?", "other": "Were you offered a drink?"} in (
        text_of(moved).replace("&#171;", "«").replace("&#187;", "»")
    )
    assert [q.id for q in _questions(session, tp)] == [drink.id, which.id]


def test_a_rule_the_rows_cannot_show_is_kept_through_an_edit(
    client: Browser,
    session: Session,
    owner_org: Organization,  # noqa: F811
) -> None:
    tp = make_touchpoint(session, owner_org)
    drink = make_question(session, tp, **DRINK)
    which = make_question(session, tp, **WHICH)
    nested = {
        "any": [
            {"question": drink.lineage, "is": "na"},
            {
                "all": [
                    {"question": drink.lineage, "is": "yes"},
                    {"question": which.lineage, "in": [1]},
                ]
            },
        ]
    }
    taste = make_question(session, tp, text="Tasted?", kind="yes_no", show_if=nested)
    form = client.get(f"/questions/{taste.id}/edit", headers={"HX-Request": "true"})
    assert '<option value="keep" selected>keep the rule set through the API</option>' in form.text
    kept = re.search(r'name="show_if_kept" value="([^"]*)"', form.text)
    assert kept is not None
    saved = client.htmx(
        "POST",
        f"/questions/{taste.id}",
        {
            "text": "Tasted the coffee?",
            "kind": "yes_no",
            "show_when": "keep",
            "show_if_kept": unescape(kept.group(1)),
        },
    )
    assert saved.status_code == 200, text_of(saved)  # type: ignore[attr-defined]
    current = _questions(session, tp)[-1]
    assert (current.text, current.show_if) == ("Tasted the coffee?", nested)
    assert (
        "Asked only when «Were you offered a drink?» is N/A or («Were you offered a drink?» is "
        "yes and «Which drinks?» is Coffee)" in text_of(saved)
    )
