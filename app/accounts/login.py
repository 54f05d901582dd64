"""The one way a login session starts: every path that logs someone in (the login form, its
second step, accepting an invite, single sign-on, and anything added later) ends in
`session_begin`, which refuses to start a session for an account with two-step login until
its code was given (or, when the deployment says so, the identity provider asked for its own).

tests/app/test_session_start.py fails when a session is made anywhere else.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, col, select

from app.accounts import services as two_step
from app.orgs.models import Membership, User
from app.security import session_start

CODE_PAGE = "/login/code"


def session_begin(
    *,
    request: Request,
    session: Session,
    user: User,
    target: str,
    org_id: int | None = None,
    second_step_done: bool = False,
    via_provider: bool = False,
) -> Response:
    """Log `user` in and send them to `target` (a safe same-site path), acting in `org_id`
    (or their first organization).

    An account with two-step login gets no session here unless the caller has just checked
    its code (`second_step_done`, which only the code page may say): it is sent to the code
    page instead, carrying where it was going. Anything the caller has not committed is
    rolled back first: a login's cleared failure count must wait for the right code, or a
    right password between wrong codes would allow endless code guesses.

    `via_provider`: the person was just vouched for by the deployment's OpenID Connect
    provider (app/accounts/sso.py). With OIDC_TWO_STEP_AT_PROVIDER the provider's own second
    step stands for Touchstone's, and no code is asked; otherwise it is asked as after a
    password.
    """
    settings = request.app.state.settings
    provider_did_it = via_provider and settings.oidc_two_step_at_provider
    if user.two_step_on and not (second_step_done or provider_did_it):
        session.rollback()
        pending = two_step.pending_login(user, target)
        if org_id is not None:
            pending["org"] = org_id
        request.session[two_step.PENDING_KEY] = pending
        return RedirectResponse(CODE_PAGE, status_code=303)
    member_of = session.exec(
        select(Membership.org_id).where(Membership.user_id == user.id).order_by(col(Membership.id))
    ).all()
    if org_id not in member_of:
        org_id = member_of[0] if member_of else None
    session_start(
        session=session,
        request=request,
        user=user,
        org_id=org_id,
        settings=settings,
    )
    session.commit()
    return RedirectResponse(target, status_code=303)
