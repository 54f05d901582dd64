"""Core statements compiled once and sent straight to the driver: the executor of the answer
save's lane (docs/performance.md, autosave).

SQLAlchemy's work for each execution of a Core statement (its cache key, its execution
context, its result object: about 40 µs a statement here) was most of a save's database
time. For each statement and database this keeps its SQL, the order of its values and the
converters in and out; each call sends the SQL with its values through
`Connection.exec_driver_sql` (so SQLAlchemy's events, the statement-count test and the
textual-SQL guard still see each one) and converts the rows as SQLAlchemy would.

Two callers, each with its own rule: `app.tenancy.org_rows` (a statement in one
organization, checked and bound as org_core does) and `app.security.caller_for_write` (the
credential's own query, which finds the organization, marked as deliberately across
organizations). Nothing else should call `driver_rows` directly.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection


@dataclass(frozen=True)
class _Compiled:
    """A Core statement as its dialect sends it: the SQL, the order of its values, and the
    converters of the values going in and of the columns coming out."""

    sql: str
    compiled: Any
    positions: tuple[str, ...] | None  # qmark (SQLite); None: named (PostgreSQL)
    binds: Mapping[str, Callable[[Any], Any]]
    types: tuple[Any, ...]  # of the columns coming out
    # The converters of the columns coming out, made on the first rows: some drivers' need
    # the type the database names for each column (psycopg's).
    results: list[tuple[Callable[[Any], Any] | None, ...]] = field(default_factory=list)


# The execution option for the few reads that must look across organizations on purpose
# (app.tenancy re-exports it; the textual-SQL guard of the tests lets them through): here so
# that app.security, which app.tenancy imports, can mark the credential's query with it.
ALL_ORGS = "touchstone_all_orgs"

# By statement and dialect; each entry holds its statement, so no other can take its id.
_COMPILED: dict[tuple[int, str], tuple[Any, _Compiled]] = {}
_LOCK = threading.Lock()


def compiled(statement: Any, dialect: Any) -> _Compiled:
    key = (id(statement), dialect.name)
    hit = _COMPILED.get(key)
    if hit is not None and hit[0] is statement:
        return hit[1]
    done = statement.compile(dialect=dialect)
    positions = done.positiontup
    made = _Compiled(
        sql=str(done),
        compiled=done,
        positions=tuple(positions) if positions is not None else None,
        binds=dict(done._bind_processors),
        types=tuple(entry[3] for entry in done._result_columns),
    )
    with _LOCK:
        _COMPILED[key] = (statement, made)
    return made


def driver_rows(
    connection: Connection,
    statement: Any,
    params: Mapping[str, Any],
    options: Mapping[str, Any],
) -> list[tuple[Any, ...]]:
    """Run `statement` (built once) with `params`, its SQL as compiled once for the
    connection's database; `options` are the execution's (tenancy's marks). The rows as
    plain tuples, their values converted as SQLAlchemy converts them (none for a write
    without RETURNING)."""
    made = compiled(statement, connection.dialect)
    values = made.compiled.construct_params(params)
    for name, convert in made.binds.items():
        if name in values:
            values[name] = convert(values[name])
    sent: Any = values if made.positions is None else tuple(values[n] for n in made.positions)
    result = connection.exec_driver_sql(made.sql, sent, execution_options=options)
    if not result.returns_rows:
        return []
    if not made.results:
        described = result.cursor.description
        made.results.append(
            tuple(
                kind._cached_result_processor(connection.dialect, column[1])
                for kind, column in zip(made.types, described, strict=True)
            )
        )
    converters = made.results[0]
    return [
        tuple(v if c is None else c(v) for v, c in zip(row, converters, strict=True))
        for row in result.fetchall()
    ]
