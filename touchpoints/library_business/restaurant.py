"""A restaurant's journey: from booking a table to the bill and the word afterwards."""

from __future__ import annotations

from touchpoints.library import GROUP_BUSINESS, TemplateSet, TemplateTouchpoint
from touchpoints.library_builders import choice, number, scale, text, yes_no
from touchpoints.library_content import AFTER_SALE, BILLING, INQUIRY, SALE, VISIT
from touchpoints.models import Channel, Mode, NumberRule

BOOKING = TemplateTouchpoint(
    key="restaurant.booking",
    name="Booking a table",
    stage=INQUIRY,
    channel=Channel.phone,
    mode=Mode.both,
    team="Front of house",
    target=85,
    description=(
        "The booking is the guest's first taste of the restaurant. A quick, sure answer and "
        "a booking that is really on the list when they arrive set up the whole evening."
    ),
    questions=(
        number(
            "How many times did the phone ring before someone answered?",
            "Count from the first ring until a person speaks. If you booked online instead, "
            "choose N/A.",
            rule=NumberRule.at_most,
            threshold=4,
            unit="rings",
            allow_na=True,
        ),
        yes_no(
            "Were you offered a time within half an hour of the one you asked for?",
            "Yes if you got the time you asked for, or a choice of times close to it. No if "
            "the only offer was far off, or nobody suggested an alternative.",
        ),
        yes_no(
            "Were your name, the number of guests, the date and the time read back to you?",
            "Yes if all four were confirmed before the call or booking ended, aloud or in a "
            "confirmation message.",
        ),
        yes_no(
            "Were you asked about allergies, diets or a special occasion?",
            "Yes if you were asked, or invited to mention anything the kitchen should know.",
            weight=0.5,
        ),
        scale(
            "How welcome did the booking make you feel?",
            "Judge tone and patience, not only the words used.",
            (
                "Felt like an imposition",
                "Rushed",
                "Correct but flat",
                "Friendly",
                "Warm and looking forward to seeing me",
            ),
        ),
    ),
)

ARRIVAL = TemplateTouchpoint(
    key="restaurant.arrival",
    name="Arrival and seating",
    stage=VISIT,
    channel=Channel.walk_in,
    mode=Mode.people,
    team="Front of house",
    target=85,
    description=(
        "Guests decide within moments of walking in whether they are expected. A greeting, a "
        "found booking and a ready table say yes."
    ),
    questions=(
        number(
            "How many minutes passed before a member of staff greeted you?",
            "Start timing when you step inside. A nod or 'with you in a moment' counts as a "
            "greeting. Round to the nearest minute.",
            rule=NumberRule.at_most,
            threshold=1,
            unit="minutes",
        ),
        yes_no(
            "Was your booking found without you having to spell or repeat it?",
            "Yes if the host found it straight away from your name. Choose N/A if you walked "
            "in without a booking.",
            allow_na=True,
        ),
        number(
            "How many minutes did you wait for your table after being greeted?",
            "Time from the greeting until you sat down. Enter 0 if you were seated at once.",
            rule=NumberRule.at_most,
            threshold=5,
            unit="minutes",
        ),
        yes_no(
            "Was the table clean and fully laid when you sat down?",
            "Yes if there were no crumbs, marks or missing cutlery, glasses or napkins.",
        ),
        scale(
            "How did the dining room look and feel as you arrived?",
            "Think of tidiness, lighting, noise and temperature together.",
            (
                "Untidy and uncomfortable",
                "Several things out of place",
                "Acceptable",
                "Pleasant and tidy",
                "Inviting in every way",
            ),
        ),
    ),
)

ORDER = TemplateTouchpoint(
    key="restaurant.order",
    name="Taking the order",
    stage=SALE,
    channel=Channel.sales,
    mode=Mode.people,
    team="Service",
    target=85,
    description=(
        "Ordering is where the server can turn a meal into an experience: knowing the menu, "
        "listening, and getting the details right."
    ),
    questions=(
        number(
            "How many minutes after sitting down were you offered drinks?",
            "Start timing when you sit. Round to the nearest minute.",
            rule=NumberRule.at_most,
            threshold=5,
            unit="minutes",
        ),
        yes_no(
            "Could the server describe a dish you asked about, including what is in it?",
            "Ask about one dish in your scenario brief. Yes if the answer was correct and "
            "confident, or the server checked with the kitchen and came back.",
        ),
        yes_no(
            "When you mentioned the allergy in your brief, was it handled with care?",
            "Yes if the server took it seriously, checked with the kitchen or knew for certain, "
            "and the dish arrived without the ingredient. No if it was brushed off or the dish "
            "contained it. Choose N/A if your brief mentions no allergy. This question is "
            "critical: a mistake here can harm a guest.",
            weight=2.0,
            critical=True,
            allow_na=True,
        ),
        yes_no(
            "Were you offered a suggestion, such as a special, a side or a drink to match?",
            "Yes if a suggestion was made that fitted what you were ordering.",
            weight=0.5,
        ),
        yes_no(
            "Did everything arrive as ordered?",
            "Yes if every dish and drink matched the order, including any change you asked for.",
        ),
    ),
)

MEAL = TemplateTouchpoint(
    key="restaurant.meal",
    name="Food and service during the meal",
    stage=SALE,
    channel=Channel.walk_in,
    mode=Mode.people,
    team="Kitchen",
    target=85,
    description=(
        "The meal itself: food that arrives in good time and as described, and service that "
        "is there when needed without hovering."
    ),
    questions=(
        number(
            "How many minutes passed between ordering and the main course arriving?",
            "Start timing when the server leaves with your order. Round to the nearest minute.",
            rule=NumberRule.at_most,
            threshold=25,
            unit="minutes",
        ),
        scale(
            "How was the main course?",
            "Think of temperature, taste and how it matched the menu's description.",
            (
                "Not acceptable",
                "Below what the menu promised",
                "As expected",
                "Good",
                "Excellent",
            ),
            weight=2.0,
        ),
        yes_no(
            "Did someone check, within a few minutes of the food arriving, that all was well?",
            "Yes if a member of staff asked or clearly looked over to check, early enough to "
            "put something right.",
        ),
        yes_no(
            "Were empty plates and glasses cleared, and drinks offered again, without asking?",
            "Yes if you did not have to catch anyone's eye for either.",
        ),
    ),
)

PAYING = TemplateTouchpoint(
    key="restaurant.bill",
    name="The bill and goodbye",
    stage=BILLING,
    channel=Channel.billing,
    mode=Mode.both,
    team="Service",
    target=85,
    description=(
        "The last minutes are the ones guests remember: a bill that comes when asked, is "
        "right, and a goodbye that invites them back."
    ),
    questions=(
        number(
            "How many minutes did you wait for the bill after asking for it?",
            "Start timing when you ask. Round to the nearest minute.",
            rule=NumberRule.at_most,
            threshold=5,
            unit="minutes",
        ),
        yes_no(
            "Was the bill correct?",
            "Compare each line with what you ordered. Yes if nothing was missing, added or "
            "priced differently from the menu.",
            weight=2.0,
        ),
        choice(
            "How did paying go?",
            "Choose what best matches.",
            (
                ("Quick, at the table, in the way I wanted to pay", 3),
                ("Quick, but I had to go to the counter", 2),
                ("Slow, or my way of paying was not accepted", 0),
            ),
        ),
        yes_no(
            "Were you thanked and invited back as you left?",
            "Yes if someone said goodbye and made you feel welcome to return.",
        ),
    ),
)

AFTERWARDS = TemplateTouchpoint(
    key="restaurant.feedback",
    name="A complaint or comment afterwards",
    stage=AFTER_SALE,
    channel=Channel.email,
    mode=Mode.both,
    team="Manager",
    target=80,
    description=(
        "A guest who writes in after a disappointing meal is giving the restaurant a second "
        "chance. Hearing them out, putting it right and checking back can win them for good."
    ),
    questions=(
        number(
            "How many hours passed before you had a personal reply?",
            "Send the message in your scenario brief by e-mail or the website form. Count from "
            "sending to the first reply written by a person (an automatic receipt does not "
            "count).",
            rule=NumberRule.at_most,
            threshold=24,
            unit="hours",
        ),
        yes_no(
            "Did the reply show that your particular problem had been understood?",
            "Yes if it referred to what actually happened, not only a general apology.",
        ),
        yes_no(
            "Was something offered to put it right?",
            "Yes if there was an offer, such as a replacement meal, a refund or an invitation "
            "back, that fitted the size of the problem.",
        ),
        text(
            "What would have made you more likely to return?",
            "Optional. Describe what was said or done rather than the person.",
        ),
    ),
)

RESTAURANT = TemplateSet(
    key="restaurant",
    name="A restaurant",
    summary=(
        "From booking a table to the goodbye at the door, and the reply when a guest writes "
        "in afterwards."
    ),
    touchpoints=(BOOKING, ARRIVAL, ORDER, MEAL, PAYING, AFTERWARDS),
    group=GROUP_BUSINESS,
)
