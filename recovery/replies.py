"""Ready-made replies to the customer, one per recovery step, filled in from the case.

The owner still sends them (by e-mail, text or phone): Touchstone keeps no customer
conversation. Each reply says sorry without excuses, names the case's reference so the
customer can come back to it, and keeps to what the step promises.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from recovery.models import RecoveryCase

# A contact that is an e-mail address gets a "write it" link that fills in the message.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Reply:
    step: str  # the recovery step it goes with (recovery.queries.NEXT_STEPS keys)
    title: str
    subject: str
    body: str
    mailto: str  # "" unless the customer left an e-mail address


_TEXTS: tuple[tuple[str, str, str, str], ...] = (
    (
        "acknowledge",
        "We heard you",
        "About your experience with {org} (ref. {ref})",
        "{greeting}\n\n"
        "Thank you for telling us what happened. We are sorry: this is not the service we "
        "want you to have, and we are looking into it now.\n\n"
        "We will put it right within 24 hours and tell you what we have done. If you need "
        "to reach us about it, please quote the reference {ref}.\n\n"
        "With our apologies,\n{org}",
    ),
    (
        "fix",
        "It has been put right",
        "Your case {ref} has been put right",
        "{greeting}\n\n"
        "We said we would put it right, and we have: {fix}\n\n"
        "If anything is still not as it should be, reply to this message with the reference "
        "{ref} and we will deal with it straight away.\n\n"
        "Thank you for your patience,\n{org}",
    ),
    (
        "surprise",
        "A little extra",
        "Something from us, with thanks (ref. {ref})",
        "{greeting}\n\n"
        "You took the time to tell us when we got something wrong, and that helps us get "
        "better. As a small thank-you, {surprise}\n\n"
        "With our thanks,\n{org}",
    ),
    (
        "follow_up",
        "Checking back",
        "Is everything all right now? (ref. {ref})",
        "{greeting}\n\n"
        "A few days ago we put right a problem you told us about (reference {ref}). We would "
        "like to know: are you fully happy with how it was resolved? If not, tell us what is "
        "still missing and we will take care of it.\n\n"
        "Kind regards,\n{org}",
    ),
)


def case_replies(case: RecoveryCase, org_name: str) -> list[Reply]:
    """The replies for this case, in the order of the steps, filled in from its notes."""
    name = case.customer_name.strip()
    fill = {
        "org": org_name,
        "ref": case.reference,
        "greeting": f"Dear {name}," if name else "Hello,",
        # The owner's own words where the step has them; a gap to complete where not.
        "fix": case.fix_note.strip() or "[say what was fixed or replaced]",
        "surprise": case.surprise_note.strip() or "[say what the small extra is]",
    }
    contact = case.customer_contact.strip()
    replies = []
    for step, title, subject, body in _TEXTS:
        subject_text, body_text = subject.format(**fill), body.format(**fill)
        mailto = (
            f"mailto:{quote(contact, safe='@')}?subject={quote(subject_text)}"
            f"&body={quote(body_text)}"
            if _EMAIL.match(contact)
            else ""
        )
        replies.append(Reply(step, title, subject_text, body_text, mailto))
    return replies
