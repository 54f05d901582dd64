"""A small registry of providers: how a lower layer asks a higher one for an answer.

Events (app/events.py) tell a higher layer that something happened; a provider answers a
question that only a higher layer can answer. Touchpoints cannot import audits, yet whether a
question has answers decides if an edit makes a new version; audits provides the counts and
`app.wiring.wire()` registers them at start-up. Every provider is named here, with what it
receives and returns, so a reader can find both ends with one search.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Provider = Callable[..., Any]

# How many answers each question version has. Receives session=, question_ids= (a list);
# returns {question_id: count}, leaving out versions without answers. (audits)
ANSWER_COUNTS = "answer_counts"

# What each journey-map card shows of its touchpoint's scores. Receives session=, org=,
# touchpoints= (a list); returns {touchpoint_id: summary} for the card template. (reports)
JOURNEY_CARDS = "journey_cards"

# The recovery board's rates, this month and last. Receives session=, org=, now=,
# location_id=, touchpoint_id= (either None); returns a RecoverySummary. (reports)
RECOVERY_RATES = "recovery_rates"

# Whether a starter journey of that key exists. Receives key=; returns a bool. (touchpoints)
STARTER_KNOWN = "starter_known"

# The starter journeys a new organization may begin with, for the form on the account page.
# Receives nothing; returns [(shelf, [(key, name), ...]), ...]. (touchpoints)
STARTER_CHOICES = "starter_choices"

PROVIDERS = frozenset(
    {ANSWER_COUNTS, JOURNEY_CARDS, RECOVERY_RATES, STARTER_KNOWN, STARTER_CHOICES}
)

_providers: dict[str, Provider] = {}


def provide(name: str, provider: Provider) -> None:
    """Make `provider` the one that answers `ask(name, ...)`; a later one replaces it."""
    if name not in PROVIDERS:
        raise ValueError(f"unknown provider {name!r}; name it in app/providers.py")
    _providers[name] = provider


def ask(name: str, **arguments: Any) -> Any:
    """The registered provider's answer.

    Raises LookupError when none is registered: a silent default (no answers, say) would let
    an edit rewrite a question that shops already answered, so a missing `wire()` fails loudly.
    """
    if name not in PROVIDERS:
        raise ValueError(f"unknown provider {name!r}; name it in app/providers.py")
    try:
        provider = _providers[name]
    except KeyError:
        raise LookupError(f"no provider for {name!r}; app.wiring.wire() registers it") from None
    return provider(**arguments)


def provider(name: str) -> Provider | None:
    return _providers.get(name)
