"""A car dealership's journey: the enquiry, the showroom, the test drive, the deal, handover
and the first service."""

from __future__ import annotations

from touchpoints.library import GROUP_BUSINESS, TemplateSet, TemplateTouchpoint
from touchpoints.library_builders import choice, number, scale, text, yes_no
from touchpoints.library_content import AFTER_SALE, BILLING, INQUIRY, SALE, VISIT
from touchpoints.models import Channel, Mode, NumberRule

ENQUIRY = TemplateTouchpoint(
    key="dealership.enquiry",
    name="Online enquiry about a car",
    stage=INQUIRY,
    channel=Channel.web,
    mode=Mode.both,
    team="Sales",
    target=80,
    description=(
        "Most car buyers start on the website. How fast and how personally the dealership "
        "answers decides whether they book a visit here or elsewhere."
    ),
    questions=(
        number(
            "How many hours passed before a person replied to your enquiry?",
            "Send the enquiry in your brief through the website. Count to the first reply "
            "written by a person; an automatic receipt does not count.",
            rule=NumberRule.at_most,
            threshold=4,
            unit="hours",
        ),
        yes_no(
            "Did the reply answer the question you asked about the car?",
            "Yes if the answer was specific to the car in your brief (availability, price, "
            "equipment), not a general invitation to visit.",
            weight=2.0,
        ),
        yes_no(
            "Were you offered a test drive or a time to visit?",
            "Yes if a concrete next step was proposed.",
        ),
    ),
)

SHOWROOM = TemplateTouchpoint(
    key="dealership.showroom",
    name="Arriving at the showroom",
    stage=VISIT,
    channel=Channel.walk_in,
    mode=Mode.people,
    team="Sales",
    target=85,
    description=(
        "A showroom can feel like a place to be pounced on or a place to be helped. A prompt, "
        "unhurried welcome gives the visitor room to look."
    ),
    questions=(
        number(
            "How many minutes passed before a member of staff greeted you?",
            "Start when you walk through the door. Round to the nearest minute.",
            rule=NumberRule.at_most,
            threshold=3,
            unit="minutes",
        ),
        yes_no(
            "Did the person introduce themselves and ask how they could help?",
            "Yes if you learned their name and were invited to say what you came for.",
        ),
        yes_no(
            "Were the cars on display clean, unlocked and with price and details shown?",
            "Look at two or three cars. Yes if all of them were.",
            weight=0.5,
        ),
        scale(
            "How comfortable did you feel looking around?",
            "Think of pressure, attention and the space you were given.",
            (
                "Pressured or ignored",
                "Uneasy",
                "Fine",
                "Comfortable",
                "At ease and well looked after",
            ),
        ),
    ),
)

TEST_DRIVE = TemplateTouchpoint(
    key="dealership.test-drive",
    name="The needs talk and test drive",
    stage=SALE,
    channel=Channel.sales,
    mode=Mode.people,
    team="Sales",
    target=85,
    description=(
        "The salesperson who listens first and then lets the car speak for itself earns "
        "trust. The test drive is where the buyer imagines owning the car."
    ),
    questions=(
        yes_no(
            "Were you asked how you would use the car before a model was recommended?",
            "Yes if questions about driving, passengers, budget or current car came first.",
            weight=1.5,
        ),
        yes_no(
            "Were you offered a test drive without having to ask?",
            "Yes if the offer came from the salesperson.",
        ),
        yes_no(
            "Was the car for the test drive ready, clean and fuelled within 15 minutes?",
            "Choose N/A if you did not take a test drive.",
            allow_na=True,
        ),
        scale(
            "How well were the car's features explained?",
            "Judge whether the explanation was tied to what you said you needed.",
            (
                "Not explained",
                "A list of features, nothing about me",
                "The main points",
                "Clear and relevant",
                "Tailored to exactly what I need",
            ),
        ),
    ),
)

OFFER = TemplateTouchpoint(
    key="dealership.offer",
    name="The offer and paperwork",
    stage=BILLING,
    channel=Channel.billing,
    mode=Mode.people,
    team="Sales",
    target=85,
    description=(
        "Price and finance are where trust is won or lost. An offer in writing, with every "
        "cost visible, lets the buyer decide without fear of surprises."
    ),
    questions=(
        yes_no(
            "Were you given a written offer with the full price, including every fee?",
            "Yes if delivery, registration and any other charge were on the offer, not "
            "mentioned later.",
            weight=2.0,
        ),
        yes_no(
            "Were finance options explained, including the total amount payable?",
            "Yes if monthly payments came with the total cost and the interest rate. Choose "
            "N/A if your brief says you pay in full.",
            allow_na=True,
        ),
        choice(
            "How was the pace of the conversation about price?",
            "Choose what best matches.",
            (
                ("Relaxed: time to think was offered", 3),
                ("Businesslike, no pressure", 2),
                ("Some pressure to sign today", 1),
                ("Strong pressure or a deadline invented on the spot", 0),
            ),
        ),
    ),
)

HANDOVER = TemplateTouchpoint(
    key="dealership.handover",
    name="Handover and the first service",
    stage=AFTER_SALE,
    channel=Channel.other,
    mode=Mode.people,
    team="Service",
    target=85,
    description=(
        "After the sale the relationship moves to the workshop. A careful handover and a "
        "first service that keeps its promises bring the customer back for the next car."
    ),
    questions=(
        yes_no(
            "At handover, was the car clean, fuelled and as agreed?",
            "Yes if colour, equipment and any extras matched the order. Choose N/A if your "
            "shop does not include a handover.",
            allow_na=True,
        ),
        number(
            "How many working days away was the first service appointment you were offered?",
            "Ask for the first free slot and count working days from the day you asked.",
            rule=NumberRule.at_most,
            threshold=5,
            unit="days",
        ),
        yes_no(
            "Was the car ready at the time promised when you dropped it off?",
            "Choose N/A if your shop does not include a service visit.",
            allow_na=True,
        ),
        yes_no(
            "Did someone get in touch within a week to ask how you were getting on?",
            "Yes if a call or personal message came; a survey link alone counts as no.",
        ),
        text(
            "What would make you buy your next car here?",
            "Optional.",
        ),
    ),
)

DEALERSHIP = TemplateSet(
    key="dealership",
    name="A car dealership",
    summary=(
        "From the online enquiry through the showroom, the test drive and the offer, to "
        "handover and the first service."
    ),
    touchpoints=(ENQUIRY, SHOWROOM, TEST_DRIVE, OFFER, HANDOVER),
    group=GROUP_BUSINESS,
)
