"""A hotel's journey: from the booking to check-out and the follow-up after the stay."""

from __future__ import annotations

from touchpoints.library import GROUP_BUSINESS, TemplateSet, TemplateTouchpoint
from touchpoints.library_builders import choice, number, scale, text, yes_no
from touchpoints.library_content import AFTER_SALE, BILLING, INQUIRY, SALE, VISIT
from touchpoints.models import Channel, Mode, NumberRule

RESERVATION = TemplateTouchpoint(
    key="hotel.reservation",
    name="Making a reservation",
    stage=INQUIRY,
    channel=Channel.phone,
    mode=Mode.both,
    team="Reservations",
    target=85,
    description=(
        "Whether by phone or online, the reservation is where a guest learns whether the "
        "hotel is easy to deal with. Clear prices and a confirmation that arrives at once "
        "remove the worry before the trip."
    ),
    questions=(
        number(
            "How many minutes did it take to reach a person or finish the booking online?",
            "Time from dialling or opening the booking page until a person answered or the "
            "booking was confirmed on screen. Round to the nearest minute.",
            rule=NumberRule.at_most,
            threshold=3,
            unit="minutes",
        ),
        yes_no(
            "Were the room rate, what it includes and the cancellation terms made clear?",
            "Yes if you knew the total price, whether breakfast and taxes were included and "
            "until when you could cancel for free, before you committed.",
            weight=2.0,
        ),
        yes_no(
            "Did a written confirmation arrive within an hour?",
            "Yes if an e-mail or message with the dates, room type and price arrived within "
            "an hour and matched what was agreed.",
        ),
        yes_no(
            "Were you asked about the reason for your stay or any special request?",
            "Yes if you were invited to mention an arrival time, a celebration, a room "
            "preference or a need.",
            weight=0.5,
        ),
    ),
)

CHECK_IN = TemplateTouchpoint(
    key="hotel.check-in",
    name="Arrival and check-in",
    stage=VISIT,
    channel=Channel.walk_in,
    mode=Mode.people,
    team="Front desk",
    target=85,
    description=(
        "A tired traveller meets the hotel at the front desk. A prompt, personal welcome and "
        "a room that is ready make the rest of the stay start well."
    ),
    questions=(
        number(
            "How many minutes did you wait at the desk before someone attended to you?",
            "Start timing when you join the queue or reach an empty desk. Round to the "
            "nearest minute.",
            rule=NumberRule.at_most,
            threshold=3,
            unit="minutes",
        ),
        yes_no(
            "Was your reservation found at once and were its details right?",
            "Yes if the dates, room type and rate matched your confirmation without you "
            "having to show it.",
        ),
        yes_no(
            "Were breakfast times, the wifi and how to reach the desk explained?",
            "Yes if all three were mentioned or given on a card, unprompted.",
            weight=0.5,
        ),
        number(
            "How many minutes did check-in take, from greeting to key in hand?",
            "Round to the nearest minute.",
            rule=NumberRule.at_most,
            threshold=5,
            unit="minutes",
        ),
        scale(
            "How welcome did you feel at the desk?",
            "Judge the tone, eye contact and whether you were treated as a person rather than "
            "a booking number.",
            (
                "Unwelcome",
                "Processed without interest",
                "Polite",
                "Friendly",
                "Genuinely welcomed",
            ),
        ),
    ),
)

ROOM = TemplateTouchpoint(
    key="hotel.room",
    name="The room",
    stage=SALE,
    channel=Channel.other,
    mode=Mode.both,
    team="Housekeeping",
    target=90,
    description=(
        "The room is what the guest paid for. Cleanliness is the one thing no guest forgives, "
        "so it is checked before everything else."
    ),
    questions=(
        yes_no(
            "Was the room clean when you first walked in?",
            "Check the bathroom, bed linen, floor and surfaces. Yes if there was no hair, dust, "
            "stain or rubbish left from an earlier guest. This question is critical: a room "
            "that is not clean spoils the stay whatever else goes well.",
            weight=2.0,
            critical=True,
        ),
        yes_no(
            "Did everything in the room work?",
            "Try the lights, shower, heating or air conditioning, television, sockets and the "
            "safe. Yes if everything worked.",
        ),
        yes_no(
            "Was the room the type you booked?",
            "Yes if the bed, view or size matched the booking, or you were told of a change "
            "in your favour before going up.",
        ),
        scale(
            "How well did you sleep, as far as the room allowed?",
            "Think of noise, light, temperature and the bed; leave your own jet lag out.",
            (
                "Hardly at all",
                "Poorly",
                "Reasonably",
                "Well",
                "Very well",
            ),
        ),
    ),
)

REQUEST = TemplateTouchpoint(
    key="hotel.request",
    name="A request during the stay",
    stage=AFTER_SALE,
    channel=Channel.problem,
    mode=Mode.people,
    team="Front desk",
    target=85,
    description=(
        "Something small always comes up: a towel, a bulb, a noisy neighbour. How fast and how "
        "willingly the hotel responds shows whether staff can act without asking permission."
    ),
    questions=(
        number(
            "How many minutes passed between your request and it being done?",
            "Make the request in your scenario brief by phone or at the desk. Round to the "
            "nearest minute.",
            rule=NumberRule.at_most,
            threshold=20,
            unit="minutes",
        ),
        yes_no(
            "Was the request taken willingly, without excuses or passing you to someone else?",
            "Yes if the person you spoke to owned it and told you when it would be done.",
        ),
        yes_no(
            "Did anyone check afterwards that all was now well?",
            "Yes if staff called or asked when you next passed the desk.",
            weight=0.5,
        ),
    ),
)

CHECK_OUT = TemplateTouchpoint(
    key="hotel.check-out",
    name="Check-out and the bill",
    stage=BILLING,
    channel=Channel.billing,
    mode=Mode.both,
    team="Front desk",
    target=85,
    description=(
        "A guest leaves with the bill in hand. A quick check-out and a bill with no "
        "surprises decide whether the stay ends on a good note."
    ),
    questions=(
        number(
            "How many minutes did check-out take, queue included?",
            "Start timing when you reach the desk area. Round to the nearest minute.",
            rule=NumberRule.at_most,
            threshold=5,
            unit="minutes",
        ),
        yes_no(
            "Did the bill match the price you were quoted, with every extra explained?",
            "Yes if the room rate was as booked and every other line was something you used "
            "and recognised.",
            weight=2.0,
        ),
        yes_no(
            "Were you asked how the stay was?",
            "Yes if the question was asked in a way that invited a real answer.",
        ),
        choice(
            "How was the goodbye?",
            "Choose what best matches.",
            (
                ("Thanked by name and invited back", 3),
                ("Thanked and wished a good journey", 2),
                ("A plain goodbye", 1),
                ("No goodbye", 0),
            ),
        ),
    ),
)

AFTER_STAY = TemplateTouchpoint(
    key="hotel.after-stay",
    name="After the stay",
    stage=AFTER_SALE,
    channel=Channel.email,
    mode=Mode.both,
    team="Guest relations",
    target=80,
    description=(
        "A note after the stay keeps the relationship going, and a reply to a guest who raised "
        "a problem is the hotel's chance to recover it."
    ),
    questions=(
        yes_no(
            "Did the hotel get in touch within three days to thank you or ask about the stay?",
            "Yes if a message came that was about your stay, not only a newsletter.",
        ),
        number(
            "How many hours passed before the hotel replied personally to your comment?",
            "Send the comment in your scenario brief after the stay. Count to the first reply "
            "written by a person. Choose N/A if your brief does not include a comment.",
            rule=NumberRule.at_most,
            threshold=24,
            unit="hours",
            allow_na=True,
        ),
        text(
            "What would bring you back to this hotel?",
            "Optional. Think of the whole stay from reservation to goodbye.",
        ),
    ),
)

HOTEL = TemplateSet(
    key="hotel",
    name="A hotel",
    summary=(
        "From the reservation through check-in, the room and a request during the stay, to "
        "check-out and the note afterwards."
    ),
    touchpoints=(RESERVATION, CHECK_IN, ROOM, REQUEST, CHECK_OUT, AFTER_STAY),
    group=GROUP_BUSINESS,
)
