"""The one mechanism that scopes every query to the current organization, and role checks.

A request that depends on `TenantDep` (directly or through `require_role`) gets its database
session marked with the organization's id. From then on, two session-wide hooks do the work
that no handler has to remember:

- every ORM SELECT, UPDATE and DELETE on a table with `org_id` (an `OrgOwned` model) gets
  `org_id = <current org>` added, so another organization's rows simply do not exist;
- every INSERT or UPDATE of such a row is stamped with, or checked against, the current org.

Textual SQL (the reports' aggregations) is not touched by those hooks, so it runs through one
helper, `org_sql`, which writes the organization's filter into the statement itself and refuses
a statement that reads an organization's table without it (tests/app/test_tenancy_sql.py
fails on any textual query that bypasses it).

An id from another organization therefore behaves exactly like an id that does not exist: 404.
"""

from __future__ import annotations

import inspect
import re
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Annotated, Any, TypeVar

from fastapi import Depends, HTTPException, Path, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Connection, CursorResult, Insert, Table, bindparam, text
from sqlalchemy.orm import ORMExecuteState, with_loader_criteria
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.sql import operators, visitors
from sqlalchemy.sql.elements import BinaryExpression, BindParameter, ColumnClause
from sqlmodel import Session, SQLModel, select

from app.db import SessionDep
from app.modelbase import MAX_ID, OrgOwned
from app.orgs.models import Membership, Organization, Role, User
from app.security import AuthDep, NotAuthenticated

SCOPE_KEY = "touchstone_org_id"
# Execution option for the few reads that must look across organizations on purpose
# (the organization switcher). Grep for it: every use is a deliberate exception.
ALL_ORGS = "touchstone_all_orgs"
MSG_NO_ORG = "You are not a member of an organization yet. Ask an owner to invite you."
MSG_FORBIDDEN = "Your role in this organization does not allow this."
MSG_NOT_FOUND = "Not found."
MSG_TWO_STEP_REQUIRED = (
    "This organization asks its owners to use two-step login. Set it up on /account first."
)
# Where an owner who still has to set up two-step login may go (the account page and the
# organization switcher, to reach another organization).
TWO_STEP_SETUP_PATHS = ("/account", "/orgs/switch")

M = TypeVar("M", bound=SQLModel)


class TenancyViolation(RuntimeError):
    """A write tried to put a row into an organization other than the session's."""


class UnscopedSQL(TenancyViolation):
    """Textual SQL that reads an organization's table without its scope, or a session
    without an organization asked to run it."""


def scope_session(session: Session, org_id: int) -> None:
    session.info[SCOPE_KEY] = org_id


@contextmanager
def unscoped(session: Session) -> Iterator[None]:
    """Lift the scope for a deliberate cross-organization write (creating an organization)."""
    saved = session.info.pop(SCOPE_KEY, None)
    try:
        yield
    finally:
        if saved is not None:
            session.info[SCOPE_KEY] = saved


def scoped_org_id(session: OrmSession) -> int | None:
    value = session.info.get(SCOPE_KEY)
    return value if isinstance(value, int) else None


def add_org_criteria(state: ORMExecuteState) -> None:
    org_id = scoped_org_id(state.session)
    if org_id is None or state.is_column_load or state.is_relationship_load:
        return
    if state.execution_options.get(ALL_ORGS):
        return
    if state.is_select or state.is_update or state.is_delete:
        state.statement = _scoped_statement(state.statement, org_id)


# Statements with their organization's filters, by statement and organization. The hot
# statements are built once (the answer save's, audits.services): given the same scoped
# object again, SQLAlchemy reuses the cache key it computed for it, which for the filters of
# every org-owned model cost more than running the query (docs/performance.md, autosave).
# Each entry holds its statement, so no other statement can take its id while it is here.
_SCOPED: OrderedDict[tuple[int, int], tuple[Any, Any]] = OrderedDict()
_SCOPED_MAX = 512
_SCOPED_LOCK = threading.Lock()


def _scoped_statement(statement: Any, org_id: int) -> Any:
    key = (id(statement), org_id)
    with _SCOPED_LOCK:
        hit = _SCOPED.get(key)
        if hit is not None and hit[0] is statement:
            _SCOPED.move_to_end(key)
            return hit[1]
    scoped = statement.options(*_org_criteria(org_id, _org_owned_models()))
    with _SCOPED_LOCK:
        _SCOPED[key] = (statement, scoped)
        if len(_SCOPED) > _SCOPED_MAX:
            _SCOPED.popitem(last=False)
    return scoped


@lru_cache(maxsize=1024)
def _org_criteria(org_id: int, models: tuple[Any, ...]) -> tuple[Any, ...]:
    """The filters for one organization, built once: every query of a request needs them."""
    return tuple(
        with_loader_criteria(model, model.org_id == org_id, include_aliases=True)
        for model in models
    )


def _org_owned_models() -> tuple[Any, ...]:
    """Every mapped table class that carries an organization id."""
    mappers = SQLModel._sa_registry.mappers
    if len(mappers) != _MODEL_CACHE.get("count"):
        _MODEL_CACHE["count"] = len(mappers)
        _MODEL_CACHE["models"] = tuple(m.class_ for m in mappers if issubclass(m.class_, OrgOwned))
    return _MODEL_CACHE["models"]


_MODEL_CACHE: dict[str, Any] = {}


def stamp_org(session: OrmSession, _ctx: Any, _instances: Any) -> None:
    org_id = scoped_org_id(session)
    if org_id is None:
        return
    # `session.new` builds a new set on every access: read it once, or a flush of n rows
    # costs n² (a 20,000-row import took minutes).
    new = session.new
    for obj in list(new) + list(session.dirty) + list(session.deleted):
        if not isinstance(obj, OrgOwned):
            continue
        if obj in new and getattr(obj, "org_id", None) is None:
            obj.org_id = org_id
        elif obj.org_id != org_id:
            raise TenancyViolation(
                f"{type(obj).__name__} of organization {obj.org_id} touched inside {org_id}"
            )


# --- textual SQL ---------------------------------------------------------------------------

# The bound parameter `org_sql` fills with the session's organization.
ORG_PARAM = "touchstone_org"
# Execution option `org_sql` sets on what it runs; the test suite's statement hook looks for it.
ORG_SQL = "touchstone_org_sql"
_SCOPE = re.compile(r"ORG_SCOPE\(\s*(\w+)\s*\)")
_VIA = re.compile(r"ORG_VIA\(\s*(\w+)\s*\)")
_TABLE_REF = re.compile(r"\b(?:FROM|JOIN|UPDATE|INTO)\s+(\w+)(?:\s+AS\s+(\w+))?", re.IGNORECASE)
_STRING = re.compile(r"'(?:[^']|'')*'")


def org_tables() -> frozenset[str]:
    """The tables whose rows belong to one organization, and the organization table itself."""
    return frozenset(m.__tablename__ for m in _org_owned_models()) | {
        Organization.__tablename__  # type: ignore[arg-type]
    }


def unscoped_references(sql: str) -> list[str]:
    """What in `sql` reads an organization's table without a scope placeholder ([] if none).

    Every `FROM|JOIN <table> [AS <alias>]` of an organization's table needs, somewhere in the
    statement, an `ORG_SCOPE(<alias>)` (its own organization filter) or an `ORG_VIA(<alias>)`
    (it is reached only through rows that are scoped, such as a scoped touchpoint's id or the
    organization's question ids; used where the filter would cost a covering index). A table
    named any other way (a comma join, a quoted name) is refused rather than guessed at.
    """
    bare = _STRING.sub("''", sql)
    tables = org_tables()
    problems: list[str] = []
    marks = [m.lower() for m in _SCOPE.findall(bare) + _VIA.findall(bare)]
    refs = [
        (table.lower(), (alias or table).lower())
        for table, alias in _TABLE_REF.findall(bare)
        if table.lower() in tables
    ]
    for table, alias in refs:
        if marks.count(alias) < sum(1 for _, a in refs if a == alias):
            problems.append(f"{table} AS {alias} has no ORG_SCOPE({alias}) or ORG_VIA({alias})")
    known = {alias for _, alias in refs}
    problems += [f"ORG_SCOPE({m}) names no organization table" for m in set(marks) - known]
    unmarked = _VIA.sub("", _SCOPE.sub("", bare))
    for table in tables:
        named = len(re.findall(rf"(?<![.\w]){table}\b(?!\s*\.)", unmarked, re.IGNORECASE))
        if named > sum(1 for t, _ in refs if t == table):
            problems.append(f"{table} is named outside FROM/JOIN <table> [AS <alias>]")
    return sorted(set(problems))


def _expand(sql: str) -> str:
    aliases = {(alias or table).lower(): table.lower() for table, alias in _TABLE_REF.findall(sql)}

    def scope(match: re.Match[str]) -> str:
        alias = match.group(1)
        column = "id" if aliases.get(alias.lower()) == Organization.__tablename__ else "org_id"
        return f"{alias}.{column} = :{ORG_PARAM}"

    # ORG_VIA names a row scoped through another; it adds nothing to the statement.
    return _VIA.sub("1 = 1", _SCOPE.sub(scope, sql))


def require_org(session: OrmSession, org_id: int | None = None) -> int:
    """The session's organization; UnscopedSQL when it has none, or is not `org_id`."""
    scoped = scoped_org_id(session)
    if scoped is None:
        raise UnscopedSQL("textual SQL on an organization's tables needs a scoped session")
    if org_id is not None and org_id != scoped:
        raise UnscopedSQL(f"organization {org_id} asked for in a session of {scoped}")
    return scoped


def org_sql(
    session: OrmSession, sql: str, params: Mapping[str, Any] | None = None
) -> CursorResult[*tuple[Any, ...]]:
    """Run textual SQL in the session's organization: the one way to query an organization's
    tables in SQL text.

    Each `ORG_SCOPE(<alias>)` in `sql` becomes `<alias>.org_id = :touchstone_org` (`id` for
    the organization table itself), bound to the organization the session is scoped to.
    Refuses (UnscopedSQL) when the session has no organization, or when an organization's
    table in the statement has no placeholder (see `unscoped_references`).
    """
    org_id = require_org(session)
    problems = unscoped_references(sql)
    if problems:
        raise UnscopedSQL("; ".join(problems))
    statement = text(_expand(sql)).execution_options(**{ORG_SQL: org_id})
    return session.connection().execute(statement, {**(params or {}), ORG_PARAM: org_id})


# --- Core statements ------------------------------------------------------------------------


def org_param() -> Any:
    """The bound organization of a Core statement run by `org_core`: write
    `Model.org_id == org_param()` for each organization's table the statement reads."""
    return bindparam(ORG_PARAM)


# Statements `org_core` has checked, by id; each entry holds its statement so that no other
# can take its id. Hot statements are built once, so this stays small.
_CHECKED: dict[int, Any] = {}
_CHECKED_LOCK = threading.Lock()


def core_unscoped_tables(statement: Any) -> list[str]:
    """The organization tables `statement` reads without `<table>.org_id = :touchstone_org`
    (for the organization table itself, `id`), [] if none."""
    tables = org_tables()
    read: set[Any] = set()  # tables and aliases of tables, as the statement names them
    scoped: set[Any] = set()
    for element in visitors.iterate(statement):
        source = getattr(element, "table", None)
        if isinstance(element, ColumnClause) and _base_name(source) in tables:
            read.add(source)
        if isinstance(element, BinaryExpression) and element.operator is operators.eq:
            sides = (element.left, element.right)
            if not any(_is_org_param(side) for side in sides):
                continue
            for side in sides:
                source = getattr(side, "table", None)
                column = "id" if _base_name(source) == "organization" else "org_id"
                if isinstance(side, ColumnClause) and side.name == column:
                    scoped.add(source)
    if isinstance(statement, Insert):
        # A new row is stamped with the organization (what stamp_org does for the ORM).
        for target, value in (statement._values or {}).items():
            if getattr(target, "name", target) == "org_id" and _is_org_param(value):
                scoped.add(statement.table)
    return sorted(str(_base_name(t)) for t in read - scoped)


def _is_org_param(value: Any) -> bool:
    return isinstance(value, BindParameter) and value.key == ORG_PARAM


def _base_name(source: Any) -> str | None:
    table = getattr(source, "element", source)  # an alias names the table it stands for
    return table.name if isinstance(table, Table) else None


@dataclass(frozen=True)
class OrgConnection:
    """A Core connection inside one organization, for work that runs Core statements only
    (the answer save's lane, docs/performance.md): what a scoped session is to the ORM,
    without the session's bookkeeping. Made by whoever authenticated the caller, from the
    organization the credential points at, as get_tenant scopes a request's session."""

    connection: Connection
    org_id: int


def org_core(
    scoped: OrmSession | OrgConnection,
    statement: Any,
    params: Mapping[str, Any] | None = None,
) -> CursorResult[*tuple[Any, ...]]:
    """Run a Core statement (built once, values bound) in the organization of a scoped
    session or an OrgConnection: the counterpart of `org_sql` for statements that skip the
    ORM's objects on a hot path (the answer save, docs/performance.md). `:touchstone_org`
    (`org_param()`) is bound to the organization; a statement that reads an organization's
    table without that filter, or inserts a row without stamping it with it, is refused
    (UnscopedSQL), checked once per statement.
    """
    if isinstance(scoped, OrgConnection):
        org_id, connection = scoped.org_id, scoped.connection
    else:
        org_id, connection = require_org(scoped), scoped.connection()
    key = id(statement)
    if _CHECKED.get(key) is not statement:
        problems = core_unscoped_tables(statement)
        if problems:
            raise UnscopedSQL("no organization filter on " + ", ".join(problems))
        with _CHECKED_LOCK:
            _CHECKED[key] = statement
    return connection.execute(statement, {**(params or {}), ORG_PARAM: org_id})


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


_COMPILED: dict[tuple[int, str], tuple[Any, _Compiled]] = {}


def _compiled(statement: Any, dialect: Any) -> _Compiled:
    key = (id(statement), dialect.name)
    hit = _COMPILED.get(key)
    if hit is not None and hit[0] is statement:
        return hit[1]
    compiled = statement.compile(dialect=dialect)
    positions = compiled.positiontup
    made = _Compiled(
        sql=str(compiled),
        compiled=compiled,
        positions=tuple(positions) if positions is not None else None,
        binds=dict(compiled._bind_processors),
        types=tuple(entry[3] for entry in compiled._result_columns),
    )
    with _CHECKED_LOCK:
        _COMPILED[key] = (statement, made)
    return made


def org_rows(
    scoped: OrgConnection, statement: Any, params: Mapping[str, Any]
) -> list[tuple[Any, ...]]:
    """org_core for the hottest path (the answer save's lane, docs/performance.md): the
    statement, checked as org_core checks it, compiled once per dialect and sent to the
    driver as it stands, its values and rows converted as SQLAlchemy converts them; the
    rows as plain tuples (none for a write). SQLAlchemy's per-execution work (the cache
    key of the statement, its execution context, its result object) was most of a save's
    database time."""
    key = id(statement)
    if _CHECKED.get(key) is not statement:
        problems = core_unscoped_tables(statement)
        if problems:
            raise UnscopedSQL("no organization filter on " + ", ".join(problems))
        with _CHECKED_LOCK:
            _CHECKED[key] = statement
    connection = scoped.connection
    made = _compiled(statement, connection.dialect)
    values = made.compiled.construct_params({**params, ORG_PARAM: scoped.org_id})
    for name, convert in made.binds.items():
        if name in values:
            values[name] = convert(values[name])
    sent: Any = values if made.positions is None else tuple(values[n] for n in made.positions)
    result = connection.exec_driver_sql(made.sql, sent, execution_options={ORG_SQL: scoped.org_id})
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


@dataclass(frozen=True)
class Tenant:
    """The current organization, the member acting in it, and the scoped session."""

    org: Organization
    membership: Membership
    session: Session
    user: User

    @property
    def org_id(self) -> int:
        assert self.org.id is not None
        return self.org.id

    @property
    def user_id(self) -> int:
        return self.membership.user_id

    def organizations(self) -> list[tuple[Organization, Membership]]:
        """Every organization the user belongs to, for the switcher (not org-scoped)."""
        return list(
            self.session.exec(
                select(Organization, Membership)
                .join(Membership, Membership.org_id == Organization.id)  # type: ignore[arg-type]
                .where(Membership.user_id == self.user_id)
                .order_by(Organization.name)
                .execution_options(**{ALL_ORGS: True})
            ).all()
        )

    @property
    def role(self) -> Role:
        return Role(self.membership.role)

    def get(self, model: type[M], ident: Any) -> M:
        """Load one row of this organization or raise 404 (also for other orgs' ids)."""
        obj = self.session.get(model, ident)
        if obj is None or (isinstance(obj, OrgOwned) and obj.org_id != self.org_id):
            raise HTTPException(404, MSG_NOT_FOUND)
        return obj


class TwoStepRequired(NotAuthenticated):
    """An owner of an organization that requires two-step login has not set it up yet.

    The password alone no longer authenticates them for this organization: the API answers
    401 with this message, pages go to /login, which sends a logged-in user who still has
    to set it up on to /account (app.accounts.routes.login_page).
    """

    def __init__(self) -> None:
        super().__init__(MSG_TWO_STEP_REQUIRED)


def two_step_setup_owed(*, session: Session, user: User) -> bool:
    """Whether `user` owns an organization that requires two-step login and has not set
    it up (read across organizations on purpose)."""
    if user.two_step_on:
        return False
    owed = session.exec(
        select(Membership.id)
        .join(Organization, Organization.id == Membership.org_id)  # type: ignore[arg-type]
        .where(
            Membership.user_id == user.id,
            Membership.role == Role.owner,
            Organization.owners_two_step == True,  # noqa: E712
        )
        .execution_options(**{ALL_ORGS: True})
    ).first()
    return owed is not None


def _two_step_missing(request: Request, auth: Any, org: Organization, role: str) -> bool:
    # API tokens are made from the CLI by the server's administrator and stay valid.
    if role != Role.owner or not org.owners_two_step or auth.via != "cookie":
        return False
    if auth.user.two_step_on:
        return False
    path = request.url.path
    return not any(path == p or path.startswith(p + "/") for p in TWO_STEP_SETUP_PATHS)


class NoOrganization(HTTPException):
    def __init__(self) -> None:
        super().__init__(403, MSG_NO_ORG)


async def get_tenant(request: Request, auth: AuthDep, session: SessionDep) -> Tenant:
    # The credential's own query brought its membership and organization along, so the
    # usual request needs no query here and runs on the event loop: a hop to the thread pool
    # costs more than this whole function (docs/performance.md, autosave).
    if auth.membership is None or auth.org is None or auth.org.id != auth.membership.org_id:
        membership, org = await run_in_threadpool(_membership_and_org, session, auth)
    else:
        membership, org = auth.membership, auth.org
    if _two_step_missing(request, auth, org, membership.role):
        raise TwoStepRequired()
    scope_session(session, membership.org_id)
    tenant = Tenant(org=org, membership=membership, session=session, user=auth.user)
    request.state.tenant = tenant  # for the navigation in page templates
    return tenant


def _membership_and_org(session: Session, auth: Any) -> tuple[Membership, Organization]:
    membership = auth.membership
    if membership is None:
        # The credential points nowhere valid (membership removed): fall back to the
        # user's first organization for cookie logins; tokens are bound to one org.
        if auth.via == "token":
            raise NoOrganization()
        membership = session.exec(
            select(Membership).where(Membership.user_id == auth.user.id).order_by(Membership.id)  # type: ignore[arg-type]
        ).first()
        if membership is None:
            raise NoOrganization()
    org = auth.org
    if org is None or org.id != membership.org_id:
        org = session.get(Organization, membership.org_id)
    assert org is not None
    return membership, org


TenantDep = Annotated[Tenant, Depends(get_tenant)]


def require_role(*roles: Role) -> Callable[..., Awaitable[Tenant]]:
    """Dependency: the caller is a member with one of `roles`, else 403."""
    allowed = frozenset(roles)

    async def _check(tenant: TenantDep) -> Tenant:  # no I/O: no thread hop
        if tenant.role not in allowed:
            raise HTTPException(403, MSG_FORBIDDEN)
        return tenant

    # Read by the tenant sweep test to know which roles each route admits.
    _check.touchstone_roles = allowed  # type: ignore[attr-defined]
    return _check


# Every route states who may use it; the tenant sweep test reads these declarations.
MemberDep = Annotated[Tenant, Depends(require_role(Role.owner, Role.shopper, Role.viewer))]
OwnerDep = Annotated[Tenant, Depends(require_role(Role.owner))]
# Everyone who may read the organization's results: owners and staff, not shoppers.
ReaderDep = Annotated[Tenant, Depends(require_role(Role.owner, Role.viewer))]


def path_loader(model: type[M]) -> Callable[..., M]:
    """Dependency that turns the `{<table>_id}` path parameter into this org's row, or 404.

    Loading path objects in a dependency (not in the handler body) means a foreign id is
    refused before anything else about the request is looked at.
    """
    param = f"{model.__tablename__}_id"

    def _load(*, tenant: Tenant, **ids: int) -> M:
        return tenant.get(model, ids[param])

    # Declare the path parameter under its real name so that FastAPI validates and
    # documents it (an `int`), exactly as if the handler had declared it.
    _load.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("tenant", inspect.Parameter.KEYWORD_ONLY, annotation=TenantDep),
            inspect.Parameter(
                param,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=Annotated[int, Path(ge=0, le=MAX_ID)],
            ),
        ]
    )
    _load.__name__ = f"load_{param}"
    return _load
