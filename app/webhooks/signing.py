"""Signing a delivery: HMAC-SHA256 over "<timestamp>.<body>" with the endpoint's secret.

docs/webhooks.md gives receivers the recipe to check it; tests/app/test_webhooks.py checks
with its own copy of that recipe, not with this module."""

from __future__ import annotations

import hashlib
import hmac
import secrets

SIGNATURE_HEADER = "Touchstone-Signature"
DELIVERY_HEADER = "Touchstone-Delivery"
EVENT_HEADER = "Touchstone-Event"
SECRET_PREFIX = "whsec_"


def secret_new() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(secrets_: list[str], timestamp: int, body: bytes) -> str:
    """`t=<unix seconds>,v1=<hex>[,v1=<hex>]`: one v1 per live secret (two while a rotated
    secret's grace period runs), the current secret's first."""
    parts = [f"t={timestamp}"] + [f"v1={signature(s, timestamp, body)}" for s in secrets_ if s]
    return ",".join(parts)
