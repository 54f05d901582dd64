"""Applying templates from two requests at once: each template lands on the journey once."""

from __future__ import annotations

import threading

from sqlmodel import Session, func, select

from app.db import Database
from app.tenancy import scope_session
from tests.factories import make_org
from touchpoints import services
from touchpoints.library import template_set
from touchpoints.models import Touchpoint


def test_the_same_set_submitted_twice_at_once_is_added_once(db: Database, session: Session) -> None:
    restaurant = template_set("restaurant")
    assert restaurant is not None
    org_id = make_org(session, name="Quayside Kitchen").id
    assert org_id is not None
    start = threading.Barrier(2)
    outcomes: list[tuple[int, list[str]]] = []
    errors: list[BaseException] = []

    def submit() -> None:
        # One request each, as a double click or two tabs make them: a write session of its
        # own, scoped to the organization the way the request's tenant dependency scopes it.
        try:
            with db.session(write=True) as own:
                scope_session(own, org_id)
                start.wait(timeout=30)
                created, skipped = services.template_apply(
                    session=own, org_id=org_id, set_key="restaurant"
                )
                outcomes.append((len(created), skipped))
        except BaseException as exc:  # reported below, on the test's own thread
            errors.append(exc)

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    names = [t.name for t in restaurant.touchpoints]
    assert sorted(outcomes, key=lambda o: o[0]) == [(0, names), (len(names), [])]
    session.rollback()
    count = session.exec(select(func.count()).select_from(Touchpoint)).one()
    assert count == len(names)
