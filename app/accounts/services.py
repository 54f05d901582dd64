"""Two-step login (TOTP, RFC 6238): setting it up, checking codes, recovery codes.

The TOTP secret is stored in the user row as base32 text, not encrypted: the project has no
encryption key apart from SECRET_KEY (whose rotation would then lock everyone out), and the
database already holds everything the secret protects. It is never logged, never part of an
API shape, and shown only on the set-up page before it is confirmed. Recovery codes are
stored as SHA-256 digests only (they carry ~50 random bits and guesses are throttled).
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime
from typing import Any, NoReturn

import pyotp
import segno
from sqlmodel import Session, func, select

from app import mailer
from app.clock import epoch_seconds
from app.config import Settings
from app.errors import DomainError, ThrottledError
from app.i18n.catalogs import N_
from app.i18n.languages import supported
from app.i18n.message import message
from app.modelbase import utcnow
from app.orgs.models import User, UserSession
from app.orgs.services import MSG_LOGIN_THROTTLED, MSG_WRONG_PASSWORD
from app.orgs.tokens.services import api_tokens_revoke_all
from app.security import (
    digest,
    login_failure_record,
    login_failures_clear,
    login_throttled,
    sessions_revoke_all,
    verify_password,
)

ISSUER = "Touchstone"
RECOVERY_CODE_COUNT = 10
# Unambiguous letters and digits (no 0/o, 1/l/i): 31**10, about 2**49.5, per code.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
# How long the second login page waits for a code after the password was right.
PENDING_SECONDS = 300
PENDING_KEY = "two_step"
SETUP_KEY = "totp_setup"

MSG_CODE_MISSING = "Enter the 6-digit code from your authenticator app."
MSG_CODE_WRONG = (
    "That code is not right, or it has been used already. Enter the code your app shows now, "
    "or one of your recovery codes."
)
MSG_SETUP_CODE_WRONG = (
    "That code does not match. Check that your phone's clock is right and enter the code "
    "your app shows now."
)
MSG_SETUP_EXPIRED = "The set-up was interrupted. Start again."
MSG_ALREADY_ON = "Two-step login is already on."
MSG_PENDING_EXPIRED = "Your login took too long. Enter your e-mail address and password again."
MSG_NOT_ON = "Two-step login is off, so there are no recovery codes to replace."
# At or below this many unused recovery codes the account page warns (ASVS 2.5: a user
# should not run out of ways back in without noticing).
RECOVERY_LOW = 2


# --- codes -------------------------------------------------------------------------------


def new_secret() -> str:
    return pyotp.random_base32()  # 160 bits, as RFC 4226 recommends


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_data_uri(uri: str) -> str:
    """The otpauth:// address as an SVG QR code in a data: URI (the CSP allows img data:)."""
    return str(segno.make(uri, error="m", micro=False).svg_data_uri(scale=5, border=2))


def _normalize(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _matching_step(secret: str, code: str, now: datetime | None = None) -> int | None:
    """The time step whose code `code` is: the current one or one either side (clock drift)."""
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now or utcnow())
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step).encode(), code.encode()):
            return step
    return None


def new_recovery_codes() -> list[str]:
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def code_accept(*, user: User, code: str, now: datetime | None = None) -> bool:
    """Whether `code` lets `user` in: a TOTP code of a step later than the last one used,
    or an unused recovery code. Either is used up by this (the caller commits)."""
    if user.totp_secret is None:
        return False
    normalized = _normalize(code)
    if len(normalized) == 6 and normalized.isdigit():
        step = _matching_step(user.totp_secret, normalized, now)
        if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
            return False
        user.totp_last_step = step
        return True
    hashes = list(user.totp_recovery_hashes or [])
    hashed = digest(normalized)
    if not normalized or hashed not in hashes:
        return False
    hashes.remove(hashed)
    user.totp_recovery_hashes = hashes  # a new list, so the JSON column is written
    return True


def recovery_codes_left(user: User) -> int:
    return len(user.totp_recovery_hashes or [])


def _refuse_if_throttled(
    *, session: Session, user: User, address: str, settings: Settings, field: str | None = None
) -> None:
    # Also takes the per-account lock on PostgreSQL, so two requests with the same code run
    # one after the other and the second sees the first one's last used step.
    if login_throttled(session=session, email=user.email, address=address, settings=settings):
        raise ThrottledError(
            message(MSG_LOGIN_THROTTLED, minutes=settings.login_window_minutes), field=field
        )
    session.refresh(user)


def _fail(*, session: Session, user: User, address: str, message: str, field: str) -> NoReturn:
    login_failure_record(session=session, email=user.email, address=address)
    session.commit()
    raise DomainError(message, field=field)


# --- setting up and turning off ----------------------------------------------------------


def two_step_enable(
    *,
    session: Session,
    user: User,
    secret: str | None,
    code: str,
    keep_session_id: int | None,
    address: str,
    settings: Settings,
) -> list[str]:
    """Turn two-step login on once the user proves their app has `secret`.

    Returns the recovery codes, which are shown once and stored only as digests. Every
    other session of the user (logged in with the password alone) is logged out.
    """
    if user.two_step_on:
        raise DomainError(MSG_ALREADY_ON)
    if not secret:
        raise DomainError(MSG_SETUP_EXPIRED)
    if not _normalize(code):
        raise DomainError(MSG_CODE_MISSING, field="code")
    _refuse_if_throttled(session=session, user=user, address=address, settings=settings)
    step = _matching_step(secret, _normalize(code))
    if step is None:
        _fail(
            session=session, user=user, address=address, message=MSG_SETUP_CODE_WRONG, field="code"
        )
    codes = new_recovery_codes()
    user.totp_secret = secret
    user.totp_last_step = step
    user.totp_recovery_hashes = [digest(_normalize(c)) for c in codes]
    session.add(user)
    sessions_revoke_all(session=session, user_id=user.id, keep_id=keep_session_id)  # type: ignore[arg-type]
    # Tokens made while the password alone logged in go too.
    api_tokens_revoke_all(session=session, user_id=user.id)  # type: ignore[arg-type]
    session.commit()
    return codes


def _password_check(
    *, session: Session, user: User, password: str, address: str, settings: Settings
) -> None:
    """The current password, counted in the login throttle like a login's."""
    _refuse_if_throttled(
        session=session, user=user, address=address, settings=settings, field="current_password"
    )
    if not verify_password(password, user.password_hash):
        _fail(
            session=session,
            user=user,
            address=address,
            message=MSG_WRONG_PASSWORD,
            field="current_password",
        )


def _turn_off(*, session: Session, user: User) -> None:
    user.totp_secret = None
    user.totp_last_step = None
    user.totp_recovery_hashes = None
    session.add(user)


def two_step_disable(
    *, session: Session, user: User, password: str, code: str, address: str, settings: Settings
) -> None:
    """Turn two-step login off: needs the current password and a code (or recovery code)."""
    _password_check(
        session=session, user=user, password=password, address=address, settings=settings
    )
    if not code_accept(user=user, code=code):
        _fail(session=session, user=user, address=address, message=MSG_CODE_WRONG, field="code")
    _turn_off(session=session, user=user)
    session.commit()


def recovery_codes_renew(
    *, session: Session, user: User, password: str, address: str, settings: Settings
) -> list[str]:
    """Replace every recovery code of `user` with a new set; needs the current password.

    Returns the new codes, shown once like at set-up. The old ones stop working at once,
    used or not. A password (not a code) is asked, as for turning two-step off: someone
    who lost their phone but kept a recovery code is logged in and may still need this.
    """
    if not user.two_step_on:
        raise DomainError(MSG_NOT_ON)
    _password_check(
        session=session, user=user, password=password, address=address, settings=settings
    )
    codes = new_recovery_codes()
    user.totp_recovery_hashes = [digest(_normalize(c)) for c in codes]
    session.add(user)
    session.commit()
    return codes


def two_step_reset(*, session: Session, user: User) -> int:
    """The server's operator turns two-step login off for `user`, who lost their phone.

    Secret and recovery codes go, and every session of the user ends: whoever is logged
    in as them must log in again with the password alone. Returns how many sessions ended.
    The caller commits (and tells the user, see `reset_notice`).
    """
    ended = session.exec(
        select(func.count()).select_from(UserSession).where(UserSession.user_id == user.id)
    ).one()
    _turn_off(session=session, user=user)
    sessions_revoke_all(session=session, user_id=user.id)  # type: ignore[arg-type]
    api_tokens_revoke_all(session=session, user_id=user.id)  # type: ignore[arg-type]
    return int(ended)


def reset_notice(*, settings: Settings, email: str) -> bool:
    """E-mail the user that the operator turned their two-step login off (when SMTP is on).

    Like the password-changed notice (ASVS 2.2.3, 2.5.5): if they did not ask for it,
    someone talked the operator into it, and they should hear of it.
    """
    body = (
        f"Two-step login for your Touchstone account {email} was turned off by the "
        f"person who runs the Touchstone server, on {utcnow():%d %b %Y at %H:%M} UTC. "
        f"Every session of the account was logged out, and your password alone now logs "
        f"you in.\n\n"
        f"If you asked for this, log in and set up two-step login again on your account "
        f"page, with your new phone.\n\n"
        f"If you did not ask for it, change your password at once and tell an owner of "
        f"your organization. Touchstone is at {settings.base_url}\n"
    )
    return mailer.send(
        settings=settings, to=email, subject="Two-step login was turned off", body=body
    )


# ASVS 2.5.5: every change to how an account logs in is told to the account's address, so
# that a change the owner of the address did not make does not go unnoticed. Keyed by what
# happened: (subject, what happened, what to do if it was not you).
CHANGE_NOTICES = {
    "on": (
        "Two-step login was turned on",
        "Two-step login was turned on for your Touchstone account {email}: logging in now "
        "also asks for a code from an authenticator app.",
    ),
    "off": (
        "Two-step login was turned off",
        "Two-step login was turned off for your Touchstone account {email}: your password "
        "alone now logs you in.",
    ),
    "codes": (
        "New recovery codes were made",
        "New recovery codes were made for the two-step login of your Touchstone account "
        "{email}. The old ones no longer work.",
    ),
    "recovery_used": (
        "A recovery code was used to log in",
        "Someone logged in to your Touchstone account {email} with one of its recovery codes "
        "instead of a code from the authenticator app. The account has {left} left.",
    ),
}


def change_notice_text(
    *, settings: Settings, email: str, change: str, left: int = 0
) -> tuple[str, str]:
    """Subject and body telling the account that its two-step login changed."""
    subject, what = CHANGE_NOTICES[change]
    codes = "no recovery codes" if left == 0 else f"{left} recovery code" + "s" * (left != 1)
    body = (
        f"{what.format(email=email, left=codes)} This happened on "
        f"{utcnow():%d %b %Y at %H:%M} UTC.\n\n"
        f"If it was you, there is nothing more to do.\n\n"
        f"If it was not, someone else knows your password: change it at once and tell an "
        f"owner of your organization. Touchstone is at {settings.base_url}\n"
    )
    return subject, body


# --- the second login step ---------------------------------------------------------------


def pending_login(user: User, next_path: str) -> dict[str, Any]:
    """What the signed session cookie carries between the password and the code.

    It is not a session: no `sid`, so nothing authenticates with it. It expires after
    PENDING_SECONDS and names the password hash it was made with (its tail), so a password
    change in between voids it.
    """
    return {
        "uid": user.id,
        "next": next_path,
        "until": int(epoch_seconds()) + PENDING_SECONDS,
        "pw": user.password_hash[-16:],
    }


def pending_user(*, session: Session, pending: Any) -> User | None:
    """The user a pending login belongs to, if it is still valid."""
    if not isinstance(pending, dict) or not isinstance(pending.get("uid"), int):
        return None
    if not isinstance(pending.get("until"), int) or pending["until"] < epoch_seconds():
        return None
    user = session.get(User, pending["uid"])
    if user is None or not user.is_active or not user.two_step_on:
        return None
    if not hmac.compare_digest(str(pending.get("pw", "")), user.password_hash[-16:]):
        return None
    return user


def two_step_login_verify(
    *, session: Session, user: User, code: str, address: str, settings: Settings
) -> bool:
    """Check the second step; wrong codes count against the same throttle as passwords.
    True when a recovery code (not an app code) let the user in."""
    if not _normalize(code):
        raise DomainError(MSG_CODE_MISSING, field="code")
    _refuse_if_throttled(session=session, user=user, address=address, settings=settings)
    codes_before = recovery_codes_left(user)
    if not code_accept(user=user, code=code):
        _fail(session=session, user=user, address=address, message=MSG_CODE_WRONG, field="code")
    session.add(user)
    login_failures_clear(session=session, email=user.email)
    return recovery_codes_left(user) < codes_before


# --- the interface language ---------------------------------------------------------------

MSG_LANGUAGE_UNKNOWN = N_("Touchstone does not speak that language yet; pick one from the list.")
# The form's value for "whatever my browser asks for".
FOLLOW_BROWSER = ""


def user_language_set(*, session: Session, user: User, language: str) -> str | None:
    """Remember `user`'s interface language, or "" to follow the browser again; gives the
    language stored. A language the interface does not ship is refused."""
    code = supported(language)
    if language != FOLLOW_BROWSER and code is None:
        raise DomainError(MSG_LANGUAGE_UNKNOWN, field="language")
    user.language = code
    session.add(user)
    session.commit()
    return code
