"""The floor for bench/autosave.py: the least an answer save can cost on this stack.

A bare ASGI app under the same uvicorn, with no framework: it checks the bearer token (its
SHA-256 digest looked up in the database, as Touchstone stores it), parses the JSON body and
upserts the answer into a WAL SQLite file under `BEGIN IMMEDIATE`, then answers a small JSON
object. No tenancy, roles, question check or conflict rule: what is left when every guarantee
Touchstone gives is taken away, so Touchstone's share of it says what those guarantees and the
framework cost.

Run: python bench/autosave_floor.py --db FILE --port PORT   (the bench starts it itself)
`floor_setup(db, tokens)` makes the file and its tokens.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sqlite3
from collections.abc import Iterable
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS token (token_hash TEXT PRIMARY KEY, user_id INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS answer (
    id TEXT PRIMARY KEY, shop_id INTEGER NOT NULL, question_id INTEGER NOT NULL,
    value TEXT, comment TEXT NOT NULL, revision INTEGER NOT NULL,
    UNIQUE (shop_id, question_id)
);
"""

UPSERT = """
INSERT INTO answer (id, shop_id, question_id, value, comment, revision)
VALUES (?, ?, ?, ?, ?, 1)
ON CONFLICT (id) DO UPDATE SET value = excluded.value, comment = excluded.comment,
    revision = answer.revision + 1
RETURNING revision
"""


def connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


def floor_setup(path: str, tokens: Iterable[tuple[str, int]]) -> None:
    """The floor's database with these (raw token, user id) pairs."""
    conn = connect(path)
    conn.executescript(SCHEMA)
    conn.executemany(
        "INSERT OR REPLACE INTO token VALUES (?, ?)",
        [(hashlib.sha256(raw.encode()).hexdigest(), user) for raw, user in tokens],
    )
    conn.close()


def make_app(path: str) -> Any:
    conn = connect(path)

    async def reply(send: Any, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(data))]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": data})

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        headers = dict(scope["headers"])
        page = scope["method"] == "POST"
        if page:
            # The page save's form for bench/autosave.py --mode page: the credential in a
            # cookie (the raw token as "floor=..."; no signature checked), the id in the body.
            scheme, _, raw = "bearer", None, ""
            for part in headers.get(b"cookie", b"").decode().split(";"):
                name, _, value = part.strip().partition("=")
                if name == "floor":
                    raw = value
        else:
            auth = headers.get(b"authorization", b"").decode()
            scheme, _, raw = auth.partition(" ")
        found = conn.execute(
            "SELECT user_id FROM token WHERE token_hash = ?",
            (hashlib.sha256(raw.strip().encode()).hexdigest(),),
        ).fetchone()
        if scheme.lower() != "bearer" or found is None:
            await reply(send, 401, {"detail": "unknown token"})
            return
        # /api/v1/shops/{shop}/answers/{uuid}, or the page's /shops/{shop}/answers
        parts = scope["path"].split("/")
        try:
            body = json.loads(b"".join(chunks))
            if page:
                shop_id, answer_id = int(parts[2]), str(body["id"])
            else:
                shop_id, answer_id = int(parts[4]), parts[6]
            question_id = int(body["question_id"])
        except (ValueError, KeyError, IndexError, TypeError):
            await reply(send, 422, {"detail": "bad request"})
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            (revision,) = conn.execute(
                UPSERT,
                (
                    answer_id,
                    shop_id,
                    question_id,
                    json.dumps(body.get("value")),
                    str(body.get("comment", "")),
                ),
            ).fetchone()
            conn.execute("COMMIT")
        except sqlite3.Error:
            conn.execute("ROLLBACK")
            await reply(send, 409, {"detail": "conflict"})
            return
        await reply(send, 200, {"id": answer_id, "question_id": question_id, "revision": revision})

    return app


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    # The settings `touchstone serve` gives uvicorn, and its own defaults for the rest.
    uvicorn.run(make_app(args.db), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
