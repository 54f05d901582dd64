"""A call centre's journey: getting through, the call itself, the fix, the follow-up."""

from __future__ import annotations

from touchpoints.library import GROUP_BUSINESS, TemplateSet, TemplateTouchpoint
from touchpoints.library_builders import choice, number, scale, text, yes_no
from touchpoints.library_content import AFTER_SALE, BILLING, INQUIRY, SALE, VISIT
from touchpoints.models import Channel, Mode, NumberRule

GETTING_THROUGH = TemplateTouchpoint(
    key="call-centre.getting-through",
    name="Getting through",
    stage=INQUIRY,
    channel=Channel.phone,
    mode=Mode.machine,
    team="Workforce planning",
    target=80,
    description=(
        "Before anyone speaks, the caller meets the menu and the queue. A short menu and an "
        "honest wait make a good start; a maze of options makes a bad one."
    ),
    questions=(
        number(
            "How many menu choices did you have to make before joining a queue?",
            "Count each time you pressed a key or said an option.",
            rule=NumberRule.at_most,
            threshold=2,
            unit="choices",
        ),
        yes_no(
            "Was one of the menu options clearly right for your reason for calling?",
            "Yes if you did not have to guess.",
        ),
        number(
            "How many minutes did you wait in the queue?",
            "From the end of the menu to a person speaking. Round to the nearest minute.",
            rule=NumberRule.at_most,
            threshold=3,
            unit="minutes",
        ),
        yes_no(
            "Were you told your place in the queue or the expected wait, or offered a call back?",
            "Choose N/A if you were answered within a minute.",
            allow_na=True,
            weight=0.5,
        ),
    ),
)

THE_CALL = TemplateTouchpoint(
    key="call-centre.agent",
    name="Speaking to an agent",
    stage=VISIT,
    channel=Channel.phone,
    mode=Mode.people,
    team="Agents",
    target=85,
    description=(
        "The agent is the whole company for the length of the call. A clear greeting, a safe "
        "identity check and real attention are what the caller judges."
    ),
    questions=(
        yes_no(
            "Did the agent give the company's name and their own?",
            "Yes if both were said at the start.",
        ),
        yes_no(
            "Was your identity checked before anything about your account was discussed?",
            "Yes if the agent asked security questions before giving or changing any account "
            "details. This question is critical: sharing account details with an unchecked "
            "caller puts the customer at risk.",
            weight=2.0,
            critical=True,
        ),
        yes_no(
            "Did the agent already have the details you gave in the menu or to a colleague?",
            "Yes if you did not have to give your account number or your reason for calling "
            "again. No if you had to repeat either.",
        ),
        scale(
            "How attentive and courteous was the agent?",
            "Judge tone, patience and whether the agent listened before answering.",
            (
                "Rude or dismissive",
                "Impatient",
                "Polite but mechanical",
                "Friendly and attentive",
                "Warm and fully focused on me",
            ),
            weight=1.5,
        ),
    ),
)

RESOLUTION = TemplateTouchpoint(
    key="call-centre.resolution",
    name="Solving the request",
    stage=SALE,
    channel=Channel.problem,
    mode=Mode.people,
    team="Agents",
    target=85,
    description=(
        "Customers want their request settled in one contact. The agent who can solve it, or "
        "who owns it until it is solved, keeps the customer from calling again."
    ),
    questions=(
        choice(
            "How was your request settled?",
            "Choose what happened on this call.",
            (
                ("Fully solved on the first call", 4),
                ("Solved after one transfer, without repeating myself", 3),
                ("A clear promise with a date, and it was kept", 2),
                ("A vague promise, or transferred more than once", 0),
            ),
            weight=2.0,
        ),
        yes_no(
            "Was the answer you were given correct?",
            "Compare with the expected answer in your brief.",
            weight=1.5,
        ),
        yes_no(
            "Before the call ended, did the agent sum up what would happen next?",
            "Yes if the agent recapped what was done or what would follow and when.",
        ),
    ),
)

SALE_OFFER = TemplateTouchpoint(
    key="call-centre.offer",
    name="An offer on the call",
    stage=SALE,
    channel=Channel.sales,
    mode=Mode.people,
    team="Agents",
    target=80,
    description=(
        "Once the request is settled, a well-chosen offer can help the customer. Offered "
        "before the problem is solved, or pushed, it undoes the good of the call."
    ),
    questions=(
        yes_no(
            "If something was offered, did it come only after your request was dealt with?",
            "Choose N/A if nothing was offered.",
            allow_na=True,
        ),
        yes_no(
            "Did the offer fit what you had said about your needs?",
            "Choose N/A if nothing was offered.",
            allow_na=True,
        ),
        yes_no(
            "Was a no accepted the first time?",
            "Decline the offer once. Yes if the agent accepted it politely. Choose N/A if "
            "nothing was offered.",
            allow_na=True,
        ),
    ),
)

CONFIRMATION = TemplateTouchpoint(
    key="call-centre.confirmation",
    name="Confirmation and follow-up",
    stage=AFTER_SALE,
    channel=Channel.email,
    mode=Mode.both,
    team="Back office",
    target=80,
    description=(
        "What was promised on the phone has to happen after it. A written confirmation and a "
        "kept promise are how the customer knows the call counted."
    ),
    questions=(
        yes_no(
            "Did you receive written confirmation of what was agreed within a day?",
            "Yes if an e-mail or message arrived with what was done or promised. Choose N/A "
            "if the call needed no confirmation.",
            allow_na=True,
        ),
        yes_no(
            "Was the promise made on the call kept?",
            "Yes if what you were told would happen did happen, on time. Choose N/A if no "
            "promise was made.",
            weight=2.0,
            allow_na=True,
        ),
        text(
            "What would have saved you this call, or a second one?",
            "Optional.",
        ),
    ),
)

BILL_QUERY = TemplateTouchpoint(
    key="call-centre.bill-query",
    name="A question about a bill",
    stage=BILLING,
    channel=Channel.billing,
    mode=Mode.people,
    team="Billing",
    target=80,
    description=(
        "Calls about bills are common and charged with feeling. A clear explanation, and a "
        "correction where the bill is wrong, settle them."
    ),
    questions=(
        yes_no(
            "Was the charge in your brief explained clearly?",
            "Yes if you understood afterwards what it was for and how it was worked out.",
        ),
        yes_no(
            "If the bill was wrong, was it corrected without you having to insist?",
            "Choose N/A if the bill was right.",
            weight=1.5,
            allow_na=True,
        ),
        scale(
            "How did you feel about the bill by the end of the call?",
            "Think of whether you now trust the bill, whatever its amount.",
            (
                "More confused or annoyed than before",
                "Still unsure",
                "Mostly clear",
                "Clear",
                "Clear, and sure the next one will be right",
            ),
        ),
    ),
)

CALL_CENTRE = TemplateSet(
    key="call-centre",
    name="A call centre",
    summary=(
        "From the menu and the queue through the agent, solving the request and an offer, to "
        "a question about a bill and the written confirmation."
    ),
    touchpoints=(GETTING_THROUGH, THE_CALL, RESOLUTION, SALE_OFFER, BILL_QUERY, CONFIRMATION),
    group=GROUP_BUSINESS,
)
