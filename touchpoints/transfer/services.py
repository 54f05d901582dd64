"""The import of a journey file: everything it holds is added in one transaction, or
nothing is."""

from __future__ import annotations

from sqlmodel import Session

from touchpoints import services as journey_services
from touchpoints.models import Touchpoint
from touchpoints.transfer.models import JourneyFile


def journey_import(*, session: Session, org_id: int, journey: JourneyFile) -> list[Touchpoint]:
    """Add the file's stages (matched by name), touchpoints and questions; returns the
    touchpoints made, in the file's order.

    The file has been read and checked (document.read) before this is called; a failure here
    all the same (the database refusing a row, the process stopping) rolls everything back,
    so a journey is never left half-imported.
    """
    created = []
    try:
        for stage in journey.stages:
            for tp in stage.touchpoints:
                created.append(
                    journey_services.touchpoint_build(
                        session=session,
                        org_id=org_id,
                        stage_name=stage.name,
                        values={
                            "name": tp.name,
                            "channel": tp.channel,
                            "mode": tp.mode,
                            "team": tp.team,
                            "target": tp.target,
                            "description": tp.description,
                            "template_key": tp.template_key,
                            "translations": tp.translations,
                        },
                        questions=tp.questions,
                        translations=tp.question_translations,
                    )
                )
            if not stage.touchpoints:
                journey_services.stage_find_or_create(
                    session=session, org_id=org_id, name=stage.name
                )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return created
