"""Staff names in shoppers' comments: masked as "[staff]" in the answers export staff
download, the original for owners (app.orgs.staff_names; docs/guide/shops.md)."""

from __future__ import annotations

from sqlmodel import Session, select

from app.db import Database
from audits.models import Answer
from tests.conftest import Browser
from tests.reports.test_export import World, _as, export_orgs, get_csv

__all__ = ["export_orgs"]  # the fixture, shared with the export's own tests

REMARK = "Anna Berg was lovely; anna again, and the Annual offer. Ben? Yes"


def _name_staff(session: Session, world: World) -> None:
    world.harbour.staff_names = ["Anna Berg", "Ben"]
    session.add(world.harbour)
    # Every harbour answer carries the remark; the other location's keep theirs unmasked.
    for answer in session.exec(select(Answer)):
        answer.comment = REMARK
        session.add(answer)
    session.commit()


def test_staff_see_staff_names_masked(
    client: Browser, db: Database, session: Session, export_orgs: World
) -> None:
    _name_staff(session, export_orgs)
    _as(client, db, export_orgs, export_orgs.viewer)
    for base in ("/reports/export", "/api/v1/exports"):
        body, answers = get_csv(client, f"{base}/answers.csv")
        harbour = [a for a in answers if a["location"] == "Harbour"]
        others = [a for a in answers if a["location"] != "Harbour"]
        assert harbour and others
        assert {a["comment"] for a in harbour} == {
            "[staff] was lovely; [staff] again, and the Annual offer. [staff]? Yes"
        }
        # Names are listed per location: another location's comments keep them.
        assert {a["comment"] for a in others} == {REMARK}


def test_owners_see_the_original(
    client: Browser, db: Database, session: Session, export_orgs: World
) -> None:
    _name_staff(session, export_orgs)
    _as(client, db, export_orgs, export_orgs.owner)
    _, answers = get_csv(client, "/reports/export/answers.csv")
    assert answers and {a["comment"] for a in answers} == {REMARK}
