"""report days, stored section percents and answer shares, and the reports' indexes

Revision ID: c3f1a2b4d5e6
Revises: a601e90da3a2
Create Date: 2026-11-23 06:22:06.064037

Existing rows are backfilled by the same rules audits.report_day applies on every write:
the shop's report day is the date of visited_at (approved_at when no visit time) in its
organization's time zone; its sections and answers carry that day while the shop is
approved; a shop touchpoint's score_pct is the section percent of the shop's stored score
snapshot; an answer's share is what touchpoints.scoring gives it (None when it does not count).
Computed in Python, a page of shops at a time, so it runs the same on SQLite (batch mode)
and PostgreSQL.
"""
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

import app.modelbase
from touchpoints.scoring import Given, QuestionSpec, fraction, score_question

revision: str = 'c3f1a2b4d5e6'
down_revision: str | None = 'a601e90da3a2'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PAGE = 1000  # shops per backfill step

organization = sa.table('organization', sa.column('id', sa.Integer), sa.column('timezone', sa.String))
shop = sa.table(
    'shop',
    sa.column('id', sa.Integer),
    sa.column('org_id', sa.Integer),
    sa.column('visited_at', app.modelbase.UTCDateTime()),
    sa.column('approved_at', app.modelbase.UTCDateTime()),
    sa.column('status', sa.String),
    sa.column('score_detail', sa.JSON),
    sa.column('report_day', sa.Date),
)
shop_touchpoint = sa.table(
    'shop_touchpoint',
    sa.column('shop_id', sa.Integer),
    sa.column('touchpoint_id', sa.Integer),
    sa.column('score_pct', sa.Float),
    sa.column('report_day', sa.Date),
)
question = sa.table(
    'question',
    sa.column('id', sa.Integer),
    sa.column('kind', sa.String),
    sa.column('weight', sa.Float),
    sa.column('critical', sa.Boolean),
    sa.column('config', sa.JSON),
)
answer = sa.table(
    'answer',
    sa.column('id', sa.Uuid),
    sa.column('shop_id', sa.Integer),
    sa.column('question_id', sa.Integer),
    sa.column('value', sa.JSON),
    sa.column('not_applicable', sa.Boolean),
    sa.column('share', sa.Float),
    sa.column('report_day', sa.Date),
)


def upgrade() -> None:
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('share', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('report_day', sa.Date(), nullable=True))
        batch_op.drop_index(batch_op.f('ix_answer_question_id'))
        batch_op.create_index('ix_answer_report', ['question_id', 'report_day', 'shop_id', 'share'], unique=False)

    with op.batch_alter_table('shop', schema=None) as batch_op:
        batch_op.add_column(sa.Column('report_day', sa.Date(), nullable=True))

    with op.batch_alter_table('shop_touchpoint', schema=None) as batch_op:
        batch_op.add_column(sa.Column('score_pct', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('report_day', sa.Date(), nullable=True))
        batch_op.drop_index(batch_op.f('ix_shop_touchpoint_touchpoint_id'))
        batch_op.create_index('ix_shop_touchpoint_report', ['touchpoint_id', 'report_day', 'shop_id', 'score_pct'], unique=False)

    _backfill(op.get_bind())


def _backfill(conn: sa.Connection) -> None:
    zones = {oid: ZoneInfo(tz or 'UTC') for oid, tz in conn.execute(sa.select(organization.c.id, organization.c.timezone))}
    specs = {
        qid: QuestionSpec(id=qid, kind=str(kind), weight=float(weight), critical=bool(critical), config=config or {})
        for qid, kind, weight, critical, config in conn.execute(
            sa.select(question.c.id, question.c.kind, question.c.weight, question.c.critical, question.c.config)
        )
    }
    top = conn.execute(sa.select(sa.func.max(shop.c.id))).scalar() or 0
    for low in range(0, top, PAGE):
        in_page = shop.c.id.between(low + 1, low + PAGE)
        days, pcts, counted = [], [], []
        for sid, oid, status, visited, approved, detail in conn.execute(
            sa.select(
                shop.c.id, shop.c.org_id, shop.c.status, shop.c.visited_at, shop.c.approved_at, shop.c.score_detail
            ).where(in_page)
        ):
            moment = visited or approved
            if moment is not None:
                day = moment.astimezone(zones.get(oid, ZoneInfo('UTC'))).date()
                days.append({'sid': sid, 'day': day})
                if status == 'approved':
                    counted.append({'sid': sid, 'day': day})
            for section in (detail or {}).get('sections') or []:
                pcts.append({'sid': sid, 'tid': int(section['touchpoint_id']), 'pct': section.get('percent')})
        shares = []
        for aid, qid, value, na in conn.execute(
            sa.select(answer.c.id, answer.c.question_id, answer.c.value, answer.c.not_applicable).where(
                answer.c.shop_id.between(low + 1, low + PAGE)
            )
        ):
            share = _share(specs.get(qid), value, bool(na))
            if share is not None:
                shares.append({'aid': aid, 'share': share})
        if days:
            conn.execute(
                shop.update().where(shop.c.id == sa.bindparam('sid')).values(report_day=sa.bindparam('day')), days
            )
        if pcts:
            conn.execute(
                shop_touchpoint.update()
                .where(shop_touchpoint.c.shop_id == sa.bindparam('sid'), shop_touchpoint.c.touchpoint_id == sa.bindparam('tid'))
                .values(score_pct=sa.bindparam('pct')),
                pcts,
            )
        if shares:
            conn.execute(
                answer.update().where(answer.c.id == sa.bindparam('aid')).values(share=sa.bindparam('share')), shares
            )
        if counted:  # an approved shop's sections and answers count on its report day
            for table in (shop_touchpoint, answer):
                conn.execute(
                    table.update().where(table.c.shop_id == sa.bindparam('sid')).values(report_day=sa.bindparam('day')),
                    counted,
                )


def _share(spec: QuestionSpec | None, value: Any, not_applicable: bool) -> float | None:
    if spec is None or not score_question(spec, Given(value=value, not_applicable=not_applicable)).counted:
        return None
    return fraction(spec, value)


def downgrade() -> None:
    with op.batch_alter_table('shop_touchpoint', schema=None) as batch_op:
        batch_op.drop_index('ix_shop_touchpoint_report')
        batch_op.create_index(batch_op.f('ix_shop_touchpoint_touchpoint_id'), ['touchpoint_id'], unique=False)
        batch_op.drop_column('report_day')
        batch_op.drop_column('score_pct')

    with op.batch_alter_table('shop', schema=None) as batch_op:
        batch_op.drop_column('report_day')

    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.drop_index('ix_answer_report')
        batch_op.create_index(batch_op.f('ix_answer_question_id'), ['question_id'], unique=False)
        batch_op.drop_column('report_day')
        batch_op.drop_column('share')
