"""The CPU a save costs in process: the answer saves' lane's own work
(`audits.fill.lane._work`: credential, tenancy, checks, the save, the reply's figures, the
commit), called directly, with no server, network or load generator.

Usage: .venv/bin/python bench/save_inprocess.py DB_FILE [ROUNDS] [CODE_ROOT]

DB_FILE: a SQLite file the autosave bench has used (`bench/autosave.py --keep` keeps it, as
bench.db in the directory it prints); it is copied first and never changed. The shop with
the most answers is taken, emptied of answers (it stays in progress), and its yes/no
questions answered: for the API's save (a bearer token) and then the page's (a login
session), one round of new answers, then ROUNDS - 1 rounds that replay the same ids. Prints
the CPU time a save of the first round and the median of the replays, and how many saves
the lane left to the routes (it should be none). CODE_ROOT: another checkout of the code to
measure (its modules first on the path), to compare two commits on the same file.

Its figures are less moved by other work on the machine than a server's rate, but not
free of it: alternate the two codes a few times and read the ranges (docs/performance.md).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path


def main() -> None:
    source = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    root = sys.argv[3] if len(sys.argv) > 3 else str(Path(__file__).resolve().parent.parent)
    sys.path.insert(0, root)
    from sqlalchemy import text

    from app.db import Database
    from app.modelbase import utcnow
    from app.orgs.models import UserSession
    from app.security import api_token_issue, digest, new_secret
    from app.token_use import api_token_touch
    from app.wiring import wire
    from audits.fill.lane import _work
    from audits.services import AnswerInput

    wire()
    folder = tempfile.mkdtemp(prefix="touchstone-inprocess-")
    shutil.copy(source, f"{folder}/copy.db")
    db = Database(f"sqlite:///{folder}/copy.db")
    with db.session() as s:
        shop_id, org_id, user_id = s.execute(
            text(
                "SELECT shop.id, shop.org_id, shop.shopper_id FROM shop"
                " JOIN answer ON answer.shop_id = shop.id WHERE shop.status = 'in_progress'"
                " GROUP BY shop.id ORDER BY count(*) DESC LIMIT 1"
            )
        ).one()
        token = api_token_issue(session=s, user_id=user_id, org_id=org_id, name="in process")
        sid = new_secret()
        s.add(
            UserSession(
                token_hash=digest(sid),
                user_id=user_id,
                org_id=org_id,
                expires_at=utcnow() + timedelta(hours=5),
            )
        )
        s.commit()
        questions = [
            q
            for (q,) in s.execute(
                text(
                    "SELECT question.id FROM question JOIN shop_touchpoint"
                    " ON shop_touchpoint.touchpoint_id = question.touchpoint_id"
                    " WHERE shop_touchpoint.shop_id = :shop AND question.status = 'active'"
                    " AND question.kind = 'yes_no'"
                ),
                {"shop": shop_id},
            )
        ]
    # The token's first use is noted (the lane leaves that to the routes, once a minute).
    api_token_touch(db=db, token_hash=digest(token), now=utcnow())
    for api in (True, False):
        with db.session() as s:
            s.execute(text("DELETE FROM answer WHERE shop_id = :shop"), {"shop": shop_id})
            s.commit()
        ids = [uuid.uuid4() for _ in questions]
        declined, per_round = 0, []
        for r in range(rounds):
            started = time.process_time()
            for question_id, answer_id in zip(questions, ids, strict=True):
                data = AnswerInput(
                    id=answer_id,
                    question_id=question_id,
                    value=bool(r % 2),
                    not_applicable=False,
                    comment="",
                    given_at=None,
                )
                saved = _work(
                    db.nowait_engine,
                    shop_id,
                    data,
                    token if api else None,
                    None if api else sid,
                    api,
                )
                declined += saved is None
            per_round.append((time.process_time() - started) / len(questions))
        replays = sorted(per_round[1:]) or per_round
        print(
            f"{'api ' if api else 'page'} {len(questions)} questions x {rounds} rounds:"
            f" first round {per_round[0] * 1e6:.0f} us a save,"
            f" replays (median) {replays[len(replays) // 2] * 1e6:.0f} us a save,"
            f" left to the routes {declined}"
        )
    db.dispose()
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
