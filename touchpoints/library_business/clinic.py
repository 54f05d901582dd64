"""A clinic's journey: booking, reception, the consultation, the bill and the follow-up."""

from __future__ import annotations

from touchpoints.library import GROUP_BUSINESS, TemplateSet, TemplateTouchpoint
from touchpoints.library_builders import choice, number, scale, text, yes_no
from touchpoints.library_content import AFTER_SALE, BILLING, INQUIRY, SALE, VISIT
from touchpoints.models import Channel, Mode, NumberRule

BOOKING = TemplateTouchpoint(
    key="clinic.booking",
    name="Booking an appointment",
    stage=INQUIRY,
    channel=Channel.phone,
    mode=Mode.both,
    team="Reception",
    target=85,
    description=(
        "Patients often call when they are worried or unwell. A quick answer and an "
        "appointment that fits how urgent the problem is are what they need."
    ),
    questions=(
        number(
            "How many minutes did it take to reach a person?",
            "Include menus and hold time. Round to the nearest minute.",
            rule=NumberRule.at_most,
            threshold=3,
            unit="minutes",
        ),
        yes_no(
            "Were you asked enough about your problem to judge how soon you should be seen?",
            "Yes if the receptionist asked about the symptoms in your brief, or how urgent it "
            "felt, before offering a time.",
            weight=1.5,
        ),
        number(
            "How many working days away was the appointment you were offered?",
            "For the non-urgent problem in your brief. Count working days from today.",
            rule=NumberRule.at_most,
            threshold=5,
            unit="days",
        ),
        yes_no(
            "Did you receive a reminder before the appointment?",
            "Yes if a message or call reminded you of the date, time and place.",
            weight=0.5,
        ),
    ),
)

RECEPTION = TemplateTouchpoint(
    key="clinic.reception",
    name="Reception and waiting",
    stage=VISIT,
    channel=Channel.walk_in,
    mode=Mode.people,
    team="Reception",
    target=85,
    description=(
        "Reception is where a patient is made safe and comfortable: the right record, the "
        "right person, and a wait they are told about."
    ),
    questions=(
        yes_no(
            "Did reception confirm who you were with at least two details before checking you in?",
            "Yes if you were asked for two of: full name, date of birth, address or patient "
            "number. This question is critical: a mix-up of patients can lead to the wrong "
            "treatment.",
            weight=2.0,
            critical=True,
        ),
        yes_no(
            "Were your personal details asked for discreetly?",
            "Yes if other people in the waiting area could not easily hear your details or "
            "the reason for your visit.",
            weight=1.5,
        ),
        number(
            "How many minutes after your appointment time were you called in?",
            "Enter 0 if you were called on time or early.",
            rule=NumberRule.at_most,
            threshold=15,
            unit="minutes",
        ),
        yes_no(
            "If there was a delay, were you told how long it would be?",
            "Choose N/A if you were called within five minutes of your time.",
            allow_na=True,
        ),
        yes_no(
            "Was the waiting area clean and comfortable?",
            "Yes if seats, floor, toilets and surfaces were clean and there was enough seating.",
        ),
    ),
)

CONSULTATION = TemplateTouchpoint(
    key="clinic.consultation",
    name="The consultation",
    stage=SALE,
    channel=Channel.other,
    mode=Mode.people,
    team="Clinicians",
    target=85,
    description=(
        "In the consultation the patient needs to feel heard and to leave knowing what "
        "happens next. The checklist looks at communication, not at medical judgement."
    ),
    questions=(
        yes_no(
            "Did the clinician introduce themselves?",
            "Yes if you learned their name and role.",
        ),
        scale(
            "How well did you feel listened to?",
            "Think of whether you could explain everything in your brief without being cut short.",
            (
                "Not listened to",
                "Interrupted often",
                "Partly",
                "Listened to",
                "Fully heard and understood",
            ),
            weight=1.5,
        ),
        yes_no(
            "Was the next step explained in words you understood?",
            "Yes if you could repeat what you were told to do, take or expect next.",
            weight=1.5,
        ),
        yes_no(
            "Were you asked whether you had any questions?",
            "Yes if you were invited to ask before the consultation ended.",
        ),
    ),
)

PAYMENT = TemplateTouchpoint(
    key="clinic.payment",
    name="Paying and the invoice",
    stage=BILLING,
    channel=Channel.billing,
    mode=Mode.both,
    team="Billing",
    target=85,
    description=(
        "A clear invoice, and a price told beforehand, keep money from clouding the care. "
        "Where the visit is covered in full, this touchpoint may not apply."
    ),
    questions=(
        yes_no(
            "Were you told the cost before the treatment or consultation?",
            "Yes if the price, or what your insurance would cover, was made clear in advance. "
            "Choose N/A if there was nothing to pay.",
            weight=1.5,
            allow_na=True,
        ),
        yes_no(
            "Was the invoice correct and easy to understand?",
            "Yes if it listed what was done, at the price you were told. Choose N/A if there "
            "was nothing to pay.",
            weight=1.5,
            allow_na=True,
        ),
        choice(
            "How did paying go?",
            "Choose what best matches. Choose N/A if there was nothing to pay.",
            (
                ("Quick, in the way I wanted to pay", 2),
                ("Slow or awkward, but done", 1),
                ("Confusing, or I was sent away to pay later without explanation", 0),
            ),
            allow_na=True,
        ),
    ),
)

FOLLOW_UP = TemplateTouchpoint(
    key="clinic.follow-up",
    name="Results and follow-up",
    stage=AFTER_SALE,
    channel=Channel.phone,
    mode=Mode.both,
    team="Clinicians",
    target=80,
    description=(
        "Waiting for a result is anxious time. A result that arrives when promised, with "
        "someone to explain it, completes the care."
    ),
    questions=(
        yes_no(
            "Were you told when and how you would get your results?",
            "Choose N/A if no test was done.",
            allow_na=True,
        ),
        yes_no(
            "Did the results or the follow-up call come when promised?",
            "Choose N/A if no result or follow-up was due before you submitted this shop.",
            allow_na=True,
        ),
        yes_no(
            "Was someone available to explain the result or answer a question?",
            "Call with the question in your brief. Yes if you reached someone who could answer "
            "or who arranged a call back the same day.",
        ),
        text(
            "What would have made the visit easier for you?",
            "Optional.",
        ),
    ),
)

CLINIC = TemplateSet(
    key="clinic",
    name="A clinic",
    summary=(
        "From booking an appointment through reception, the consultation and paying, to "
        "results and the follow-up."
    ),
    touchpoints=(BOOKING, RECEPTION, CONSULTATION, PAYMENT, FOLLOW_UP),
    group=GROUP_BUSINESS,
)
