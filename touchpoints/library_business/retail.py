"""A retail store's journey: finding the store, browsing, the sale, the till and returns."""

from __future__ import annotations

from touchpoints.library import GROUP_BUSINESS, TemplateSet, TemplateTouchpoint
from touchpoints.library_builders import choice, number, scale, text, yes_no
from touchpoints.library_content import AFTER_SALE, BILLING, INQUIRY, SALE, VISIT
from touchpoints.models import Channel, Mode, NumberRule

STOCK_CHECK = TemplateTouchpoint(
    key="retail.stock-check",
    name="Asking whether an item is in stock",
    stage=INQUIRY,
    channel=Channel.phone,
    mode=Mode.both,
    team="Store team",
    target=80,
    description=(
        "Many shoppers call or look online before setting out. A right answer about stock "
        "and opening hours saves them a wasted trip."
    ),
    questions=(
        number(
            "How many minutes did it take to reach someone who could answer?",
            "Round to the nearest minute, from dialling or sending the message to the first "
            "useful reply.",
            rule=NumberRule.at_most,
            threshold=3,
            unit="minutes",
        ),
        yes_no(
            "Were you told correctly whether the item in your brief was in stock?",
            "Check the answer when you visit. Yes if it was right, or the person offered to "
            "set it aside or order it.",
            weight=2.0,
        ),
        yes_no(
            "Were the opening hours and the address easy to find or given when asked?",
            "Yes if you found them on the website or were told them without trouble.",
            weight=0.5,
        ),
    ),
)

ENTRANCE = TemplateTouchpoint(
    key="retail.entrance",
    name="Walking in",
    stage=VISIT,
    channel=Channel.walk_in,
    mode=Mode.people,
    team="Store team",
    target=85,
    description=(
        "The first look at the store and the first staff contact tell the shopper whether "
        "they are welcome to look around."
    ),
    questions=(
        number(
            "How many minutes passed before a member of staff acknowledged you?",
            "A greeting, a smile or eye contact with a nod counts. Round to the nearest minute.",
            rule=NumberRule.at_most,
            threshold=2,
            unit="minutes",
        ),
        yes_no(
            "Were the entrance and the aisles clear, clean and tidy?",
            "Yes if nothing blocked your way and there was no litter, spill or fallen stock.",
        ),
        scale(
            "How easy was it to find the section you were looking for?",
            "Use signs and displays before asking anyone.",
            (
                "Could not find it",
                "Found it only after a long search",
                "Found it with some effort",
                "Found it easily",
                "Signs led me straight there",
            ),
        ),
        yes_no(
            "Were prices shown on everything you looked at?",
            "Yes if every item you picked up or looked at had a clear price on it or the shelf.",
        ),
    ),
)

ADVICE = TemplateTouchpoint(
    key="retail.advice",
    name="Advice from a salesperson",
    stage=SALE,
    channel=Channel.sales,
    mode=Mode.people,
    team="Sales floor",
    target=85,
    description=(
        "Advice turns a browser into a buyer. The salesperson who asks before recommending "
        "and knows the products makes the choice easy."
    ),
    questions=(
        yes_no(
            "Did the salesperson ask what you needed before suggesting anything?",
            "Yes if at least one question about use, size, budget or taste came before a "
            "recommendation.",
        ),
        scale(
            "How well did the salesperson know the products?",
            "Ask the question in your brief. Judge accuracy and confidence.",
            (
                "Wrong or no information",
                "Vague",
                "Knew the basics",
                "Knew the range well",
                "Expert, compared options clearly",
            ),
            weight=1.5,
        ),
        yes_no(
            "Were you offered something that goes with your purchase?",
            "Yes if a fitting extra was suggested (care product, accessory, matching item) "
            "without pressure.",
            weight=0.5,
        ),
        choice(
            "How did the salesperson leave things when you did not buy at once?",
            "Tell them you need to think about it. Choose what best matches.",
            (
                ("Helpful: offered to hold the item or gave a way to follow up", 3),
                ("Friendly, no further offer", 2),
                ("Kept pushing to close the sale", 0),
                ("Lost interest straight away", 0),
            ),
        ),
    ),
)

TILL = TemplateTouchpoint(
    key="retail.till",
    name="Paying at the till",
    stage=BILLING,
    channel=Channel.billing,
    mode=Mode.both,
    team="Tills",
    target=85,
    description=(
        "A queue at the till is the last thing a shopper sees. A short wait, a correct price "
        "and a thank-you close the visit well."
    ),
    questions=(
        number(
            "How many minutes did you queue at the till?",
            "From joining the queue to being served. Round to the nearest minute.",
            rule=NumberRule.at_most,
            threshold=4,
            unit="minutes",
        ),
        yes_no(
            "Did you pay the price shown on the shelf or label?",
            "Check the receipt. Yes if every item was charged at the displayed price.",
            weight=2.0,
        ),
        yes_no(
            "Were you offered a receipt and told how returns work?",
            "Yes if you were given or offered a receipt and the return period was mentioned "
            "or printed on it.",
            weight=0.5,
        ),
        yes_no(
            "Were you thanked at the end?",
            "Yes if the cashier thanked you or wished you a good day.",
        ),
    ),
)

RETURN = TemplateTouchpoint(
    key="retail.return",
    name="Returning an item",
    stage=AFTER_SALE,
    channel=Channel.problem,
    mode=Mode.people,
    team="Customer service",
    target=80,
    description=(
        "A return is a problem the customer brings back. A fast, friendly exchange keeps them "
        "as a customer; an argument sends them to a competitor."
    ),
    questions=(
        number(
            "How many minutes did the return take, queue included?",
            "Round to the nearest minute.",
            rule=NumberRule.at_most,
            threshold=10,
            unit="minutes",
        ),
        choice(
            "When you asked to return the item, how was the request first received?",
            "Choose the option that matches the first response, before anything was done.",
            (
                ("Accepted straight away, without fuss", 3),
                ("Accepted after a few reasonable questions", 2),
                ("Met with doubt about my reason", 0),
                ("Put off for later, or blamed on me", 0),
            ),
        ),
        yes_no(
            "Was the return handled without you having to justify it at length?",
            "Yes if a short reason was enough and you were not made to feel suspected.",
        ),
        yes_no(
            "Were you offered a choice of refund or exchange, as the store's policy allows?",
            "Yes if the options were explained and you could choose. Choose N/A if the "
            "store's published policy offers only one of them.",
            allow_na=True,
        ),
        text(
            "What would have made the return easier?",
            "Optional. Describe the moment rather than the person.",
        ),
    ),
)

RETAIL = TemplateSet(
    key="retail",
    name="A retail store",
    summary=(
        "From the call to ask about stock, through walking in, advice and the till, to "
        "bringing an item back."
    ),
    touchpoints=(STOCK_CHECK, ENTRANCE, ADVICE, TILL, RETURN),
    group=GROUP_BUSINESS,
)
