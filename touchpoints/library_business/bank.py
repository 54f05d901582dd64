"""A bank branch's journey: the appointment, the branch, the advice, a problem, the statement."""

from __future__ import annotations

from touchpoints.library import GROUP_BUSINESS, TemplateSet, TemplateTouchpoint
from touchpoints.library_builders import choice, number, scale, text, yes_no
from touchpoints.library_content import AFTER_SALE, BILLING, INQUIRY, SALE, VISIT
from touchpoints.models import Channel, Mode, NumberRule

APPOINTMENT = TemplateTouchpoint(
    key="bank.appointment",
    name="Booking an advice appointment",
    stage=INQUIRY,
    channel=Channel.phone,
    mode=Mode.both,
    team="Branch team",
    target=80,
    description=(
        "A customer who wants advice first has to get an appointment. A near date and clear "
        "word on what to bring make the meeting worth having."
    ),
    questions=(
        number(
            "How many minutes did it take to reach someone who could book you in?",
            "Include menus and hold time. Round to the nearest minute.",
            rule=NumberRule.at_most,
            threshold=4,
            unit="minutes",
        ),
        number(
            "How many working days away was the first appointment offered?",
            "Count working days from today.",
            rule=NumberRule.at_most,
            threshold=5,
            unit="days",
        ),
        yes_no(
            "Were you told what documents to bring?",
            "Yes if you were told or sent a list before the appointment.",
        ),
    ),
)

BRANCH = TemplateTouchpoint(
    key="bank.branch",
    name="In the branch",
    stage=VISIT,
    channel=Channel.walk_in,
    mode=Mode.people,
    team="Branch team",
    target=85,
    description=(
        "The branch visit shows whether the bank respects the customer's time and privacy "
        "from the moment they walk in."
    ),
    questions=(
        number(
            "How many minutes did you wait before being served?",
            "From walking in (or the appointment time, if you had one) to being attended to. "
            "Round to the nearest minute.",
            rule=NumberRule.at_most,
            threshold=5,
            unit="minutes",
        ),
        yes_no(
            "Were you greeted when you came in?",
            "Yes if a member of staff acknowledged you, even while busy.",
        ),
        yes_no(
            "Could you talk about your money without being overheard?",
            "Yes if personal matters were discussed in a private room, or at a desk where "
            "others could not hear, and nothing about your accounts was said aloud in the "
            "queue. This question is critical: a bank that lets others overhear has broken "
            "the customer's trust.",
            weight=2.0,
            critical=True,
        ),
        yes_no(
            "Was your identity checked before any account details were discussed?",
            "Yes if you were asked for identification or security details first.",
            weight=1.5,
        ),
    ),
)

ADVICE = TemplateTouchpoint(
    key="bank.advice",
    name="The advice conversation",
    stage=SALE,
    channel=Channel.sales,
    mode=Mode.people,
    team="Advisers",
    target=85,
    description=(
        "Good advice starts from the customer's situation, not the product of the month, and "
        "explains costs so plainly that the customer could repeat them."
    ),
    questions=(
        yes_no(
            "Did the adviser ask about your situation and goals before suggesting a product?",
            "Yes if income, plans, risk or timescale were asked about first.",
            weight=1.5,
        ),
        yes_no(
            "Were all costs and fees explained in plain words?",
            "Yes if you could say afterwards what the product would cost you each year.",
            weight=2.0,
        ),
        scale(
            "How well did the adviser's suggestion fit what you had said?",
            "Judge against the needs in your scenario brief.",
            (
                "Not at all",
                "Loosely",
                "Reasonably",
                "Well",
                "Exactly",
            ),
        ),
        yes_no(
            "Were you given something in writing to take away?",
            "Yes if you left with a summary, brochure or the key information document.",
            weight=0.5,
        ),
    ),
)

PROBLEM = TemplateTouchpoint(
    key="bank.problem",
    name="Sorting out a problem",
    stage=AFTER_SALE,
    channel=Channel.problem,
    mode=Mode.people,
    team="Branch team",
    target=80,
    description=(
        "A card blocked abroad or a wrong charge tests the bank. Owning the problem and fixing "
        "it quickly is worth more to the customer than any new product."
    ),
    questions=(
        choice(
            "When you raised the problem, how was it first received?",
            "Choose the option that matches the first response, before anything was done.",
            (
                ("Acknowledged straight away and taken seriously", 3),
                ("Accepted after a few reasonable questions", 2),
                ("Played down as not really a problem", 0),
                ("Put off for later, or blamed on me", 0),
            ),
        ),
        yes_no(
            "Did the person take ownership of the problem instead of sending you elsewhere?",
            "Yes if they dealt with it or arranged it themselves and told you who would act.",
        ),
        choice(
            "When was the problem fixed?",
            "Choose what happened, not what was promised.",
            (
                ("During the visit or call", 4),
                ("Within 24 hours", 3),
                ("Within the time I was promised", 2),
                ("Later than promised, or not at all", 0),
            ),
            weight=1.5,
        ),
        yes_no(
            "Did the bank confirm afterwards that the problem was solved?",
            "Yes if you received a call, letter or message saying so. Choose N/A if it was "
            "put right while you were there.",
            allow_na=True,
        ),
    ),
)

STATEMENT = TemplateTouchpoint(
    key="bank.statement",
    name="Statements and charges",
    stage=BILLING,
    channel=Channel.billing,
    mode=Mode.machine,
    team="Operations",
    target=85,
    description=(
        "Statements are the bank's bill. Charges a customer can understand at a glance avoid "
        "the calls and complaints that unclear ones cause."
    ),
    questions=(
        yes_no(
            "Was every charge on the statement one you had been told about?",
            "Compare with what you were told when opening the account or product.",
            weight=2.0,
        ),
        scale(
            "How easy was the statement to understand?",
            "Look at the layout, the names of the charges and the totals.",
            (
                "Could not make sense of it",
                "Hard work",
                "Understandable with effort",
                "Clear",
                "Clear at a glance",
            ),
        ),
        text(
            "What would make dealing with this branch easier?",
            "Optional.",
        ),
    ),
)

BANK = TemplateSet(
    key="bank",
    name="A bank branch",
    summary=(
        "From booking an appointment through the branch visit and the advice, to sorting out "
        "a problem and the statement."
    ),
    touchpoints=(APPOINTMENT, BRANCH, ADVICE, PROBLEM, STATEMENT),
    group=GROUP_BUSINESS,
)
