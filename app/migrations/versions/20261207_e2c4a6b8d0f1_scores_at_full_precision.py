"""scores at full precision: stored percents recomputed from the snapshot's points

Revision ID: e2c4a6b8d0f1
Revises: b7d1e4c2a9f3
Create Date: 2026-12-07 09:30:00.000000

Scores used to be stored rounded to one decimal (touchpoints.scoring.percent), and reports
averaged those and rounded again. Every shop's score snapshot (shop.score_detail) also keeps
the points behind each percent: earned and possible for the shop and for each section
(earned already zeroed by a failed critical question). So each stored percent is recomputed
exactly from them, with no need to read the answers again (which may have been corrected
since the snapshot was taken, and must not move it):

- shop.score = snapshot earned / possible × 100 (None when nothing is possible);
- each section's "percent" in the snapshot, and shop_touchpoint.score_pct, = that section's
  earned / possible × 100.

Shops without a snapshot (never handed in) have nothing stored to fix. No schema change.
Downgrade rounds the stored percents back to one decimal, as the old code stored them.
Computed in Python, a page of shops at a time, the same on SQLite and PostgreSQL.
"""
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = 'e2c4a6b8d0f1'
down_revision: str | None = 'b7d1e4c2a9f3'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PAGE = 1000  # shops per step

shop = sa.table(
    'shop',
    sa.column('id', sa.Integer),
    sa.column('score', sa.Float),
    sa.column('score_detail', sa.JSON),
)
shop_touchpoint = sa.table(
    'shop_touchpoint',
    sa.column('shop_id', sa.Integer),
    sa.column('touchpoint_id', sa.Integer),
    sa.column('score_pct', sa.Float),
)


def _exact(earned: Any, possible: Any) -> float | None:
    if earned is None or possible is None or float(possible) <= 0:
        return None
    return 100.0 * float(earned) / float(possible)


def _rounded(earned: Any, possible: Any) -> float | None:
    value = _exact(earned, possible)
    return None if value is None else round(value, 1)


def _restore(percent_of: Callable[[Any, Any], float | None]) -> None:
    conn = op.get_bind()
    top = conn.execute(sa.select(sa.func.max(shop.c.id))).scalar() or 0
    for low in range(0, top, PAGE):
        shops, sections = [], []
        for sid, detail in conn.execute(
            sa.select(shop.c.id, shop.c.score_detail).where(
                shop.c.id.between(low + 1, low + PAGE), shop.c.score_detail.isnot(None)
            )
        ):
            if not isinstance(detail, dict) or 'possible' not in detail:
                continue
            detail = dict(detail)
            new_sections = []
            for section in detail.get('sections') or []:
                section = dict(section)
                section['percent'] = percent_of(section.get('earned'), section.get('possible'))
                new_sections.append(section)
                sections.append(
                    {'sid': sid, 'tid': int(section['touchpoint_id']), 'pct': section['percent']}
                )
            detail['sections'] = new_sections
            shops.append(
                {'sid': sid, 'score': percent_of(detail.get('earned'), detail.get('possible')), 'detail': detail}
            )
        if shops:
            conn.execute(
                shop.update()
                .where(shop.c.id == sa.bindparam('sid'))
                .values(score=sa.bindparam('score'), score_detail=sa.bindparam('detail')),
                shops,
            )
        if sections:
            conn.execute(
                shop_touchpoint.update()
                .where(
                    shop_touchpoint.c.shop_id == sa.bindparam('sid'),
                    shop_touchpoint.c.touchpoint_id == sa.bindparam('tid'),
                )
                .values(score_pct=sa.bindparam('pct')),
                sections,
            )


def upgrade() -> None:
    _restore(_exact)


def downgrade() -> None:
    _restore(_rounded)
