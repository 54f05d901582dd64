"""A small registry of listeners: how a lower layer tells a higher one that something happened.

Imports only go down the layers (docs/architecture.md), so audits cannot call recovery when a
shop is approved. Instead audits emits `SHOP_APPROVED` and recovery's listener, registered by
`app.wiring.wire()` at start-up, raises the alerts. Every event is named here, with what its
listeners receive, so a reader can find both ends with one search.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Listener = Callable[..., object]

# A shop was approved, inside the approving transaction (before its commit).
# Listeners receive session=, shop=; they must not commit.
SHOP_APPROVED = "shop_approved"

# An organization was made from the account page and committed, with the request's session
# now scoped to it as its owner. Listeners receive session=, org_id=, starter= (the starter
# journey's key the owner chose, "" for an empty journey); they may commit.
ORG_CREATED = "org_created"

EVENTS = frozenset({SHOP_APPROVED, ORG_CREATED})

_listeners: dict[str, list[Listener]] = {name: [] for name in EVENTS}


def on(event: str, listener: Listener) -> None:
    """Call `listener` on every `emit(event, ...)`; registering it again changes nothing."""
    if event not in EVENTS:
        raise ValueError(f"unknown event {event!r}; name it in app/events.py")
    if listener not in _listeners[event]:
        _listeners[event].append(listener)


def emit(event: str, **payload: Any) -> None:
    """Call the event's listeners in the order they were registered."""
    if event not in EVENTS:
        raise ValueError(f"unknown event {event!r}; name it in app/events.py")
    for listener in tuple(_listeners[event]):
        listener(**payload)


def listeners(event: str) -> tuple[Listener, ...]:
    return tuple(_listeners[event])
