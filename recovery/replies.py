"""Ready-made replies to the customer, one per recovery step, filled in from the case.

The owner still sends them (by e-mail, text or phone): Touchstone keeps no customer
conversation. Each reply says sorry without excuses, names the case's reference so the
customer can come back to it, and keeps to what the step promises.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from app.i18n.catalogs import N_, gettext
from app.i18n.languages import DEFAULT_LANGUAGE, supported
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
    lang: str = DEFAULT_LANGUAGE  # the language the subject and body are written in


# Written in the language of the complaint (`case.language`); the owner reads them before
# sending. %(name)s placeholders are filled from the case.
_TEXTS: tuple[tuple[str, str, str, str], ...] = (
    (
        "acknowledge",
        N_("We heard you"),
        N_("About your experience with %(org)s (ref. %(ref)s)"),
        N_(
            "%(greeting)s\n\n"
            "Thank you for telling us what happened. We are sorry: this is not the service we "
            "want you to have, and we are looking into it now.\n\n"
            "We will put it right within 24 hours and tell you what we have done. If you need "
            "to reach us about it, please quote the reference %(ref)s.\n\n"
            "With our apologies,\n%(org)s"
        ),
    ),
    (
        "fix",
        N_("It has been put right"),
        N_("Your case %(ref)s has been put right"),
        N_(
            "%(greeting)s\n\n"
            "We said we would put it right, and we have: %(fix)s\n\n"
            "If anything is still not as it should be, reply to this message with the reference "
            "%(ref)s and we will deal with it straight away.\n\n"
            "Thank you for your patience,\n%(org)s"
        ),
    ),
    (
        "surprise",
        N_("A little extra"),
        N_("Something from us, with thanks (ref. %(ref)s)"),
        N_(
            "%(greeting)s\n\n"
            "You took the time to tell us when we got something wrong, and that helps us get "
            "better. As a small thank-you, %(surprise)s\n\n"
            "With our thanks,\n%(org)s"
        ),
    ),
    (
        "follow_up",
        N_("Checking back"),
        N_("Is everything all right now? (ref. %(ref)s)"),
        N_(
            "%(greeting)s\n\n"
            "A few days ago we put right a problem you told us about (reference %(ref)s). We would "
            "like to know: are you fully happy with how it was resolved? If not, tell us what is "
            "still missing and we will take care of it.\n\n"
            "Kind regards,\n%(org)s"
        ),
    ),
)


def case_replies(case: RecoveryCase, org_name: str) -> list[Reply]:
    """The replies for this case, in the order of the steps, filled in from its notes."""
    lang = supported(case.language) or DEFAULT_LANGUAGE
    name = case.customer_name.strip()
    fill = {
        "org": org_name,
        "ref": case.reference,
        "greeting": gettext("Dear %(name)s,", lang, name=name) if name else gettext("Hello,", lang),
        # The owner's own words where the step has them; a gap to complete where not.
        "fix": case.fix_note.strip() or gettext("[say what was fixed or replaced]", lang),
        "surprise": case.surprise_note.strip() or gettext("[say what the small extra is]", lang),
    }
    contact = case.customer_contact.strip()
    replies = []
    for step, title, subject, body in _TEXTS:
        subject_text, body_text = gettext(subject, lang, **fill), gettext(body, lang, **fill)
        mailto = (
            f"mailto:{quote(contact, safe='@')}?subject={quote(subject_text)}"
            f"&body={quote(body_text)}"
            if _EMAIL.match(contact)
            else ""
        )
        replies.append(Reply(step, title, subject_text, body_text, mailto, lang))
    return replies
