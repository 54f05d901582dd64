"""What stops a shopper's hand-in or expense, as whole sentences with values put in where they
are shown (`app.i18n.message`): a shopper reads them, so Spanish holds every one of them
(SPANISH_COMPLETE in app/i18n/scope.py). Each count has its sentence for one and for more;
the services that raise them re-export them under their old names."""

from __future__ import annotations

from app.i18n.catalogs import N_
from app.i18n.message import Message, plural_message

MSG_MISSING_ONE = N_("%(num)s required question still need an answer.")
MSG_MISSING = N_("%(num)s required questions still need an answer.")
MSG_EVIDENCE_ONE = N_("%(num)s answer still needs a photo or a comment (see the question).")
MSG_EVIDENCE = N_("%(num)s answers still need a photo or a comment (see the question).")
MSG_RECEIPT_MISSING_ONE = N_(
    "%(num)s expense needs a receipt photo before you hand in: add it next to the expense."
)
MSG_RECEIPT_MISSING = N_(
    "%(num)s expenses need a receipt photo before you hand in: add it next to the expense."
)

# An expense that can no longer change, by what happened to it.
MSG_DECIDED = {
    "claimed": N_("This expense was already claimed, so it can no longer change."),
    "approved": N_("This expense was already approved, so it can no longer change."),
    "rejected": N_("This expense was already rejected, so it can no longer change."),
    "paid": N_("This expense was already paid, so it can no longer change."),
    "in_run": N_("This expense was already put in a payment run, so it can no longer change."),
}


def questions_missing(count: int) -> Message:
    return plural_message(MSG_MISSING_ONE, MSG_MISSING, count)


def evidence_missing(count: int) -> Message:
    return plural_message(MSG_EVIDENCE_ONE, MSG_EVIDENCE, count)


def receipts_missing_text(count: int) -> Message:
    return plural_message(MSG_RECEIPT_MISSING_ONE, MSG_RECEIPT_MISSING, count)
