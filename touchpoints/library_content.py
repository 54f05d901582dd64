"""The wording of the template library: ready-made touchpoints with checklist questions.

Three sets ship with Touchstone: the five classic moments of truth, the basic service
processes every business runs, and a retention checklist built on the seven Cs. Stage names
are shared between sets, so applying several of them fills the same journey columns.

Writing rules for every question below:

* a yes/no question is phrased so that "yes" is the outcome the business wants;
* guidance tells the shopper what to watch for and where the line between answers lies;
* the tone is neutral: the checklist describes the visit, it does not grade a person.
"""

from __future__ import annotations

from touchpoints.library import TemplateSet, TemplateTouchpoint
from touchpoints.library_builders import choice as _choice
from touchpoints.library_builders import number as _number
from touchpoints.library_builders import scale as _scale
from touchpoints.library_builders import text as _text
from touchpoints.library_builders import yes_no as _yes_no
from touchpoints.models import Channel, Mode, NumberRule

# Stage names shared by every set (a journey gets one column per name).
INQUIRY = "Inquiry"
VISIT = "Visit"
SALE = "Sale"
AFTER_SALE = "After the sale"
BILLING = "Billing"

STAGES: tuple[str, ...] = (INQUIRY, VISIT, SALE, AFTER_SALE, BILLING)


# --- set 1: the five moments of truth ------------------------------------------------------

FIRST_CALL = TemplateTouchpoint(
    key="moments.first-call",
    name="First phone call",
    stage=INQUIRY,
    channel=Channel.phone,
    mode=Mode.both,
    team="Front desk",
    target=85,
    description=(
        "For many people the first call is their introduction to the business, and the tone "
        "of those few minutes colours everything they expect afterwards. A call that feels "
        "welcome and gets a real answer makes the next step easy."
    ),
    questions=(
        _number(
            "How many times did the phone ring before a person or a clear menu answered?",
            "Count the rings from the first one you hear. Stop counting when a person speaks or "
            "a short, clear menu starts. A recorded message that only says 'please hold' does "
            "not stop the count. If the call went to voicemail, enter the rings until then.",
            rule=NumberRule.at_most,
            threshold=3,
            unit="rings",
        ),
        _yes_no(
            "Did the person who answered say the name of the business and offer to help?",
            "Yes if the opening made it plain you had reached the right place and invited you "
            "to explain why you were calling (for example 'Good morning, Riverside Dental, how "
            "can I help?'). A bare 'Hello?' or a name alone counts as no.",
        ),
        _yes_no(
            "Were you spoken to courteously for the whole call?",
            "Yes unless, at any point, you were spoken to rudely, dismissively or impatiently, "
            "or were cut off mid-sentence in a way that felt brushed aside. A brief, polite "
            "'one moment please' while the person checks something is fine. If the answer is "
            "no, a short factual comment on what was said helps the team far more than a "
            "judgement of the person.",
            weight=2.0,
            critical=True,
        ),
        _scale(
            "How did the person make you feel about calling?",
            "Judge the tone and pace rather than the words alone: did they sound glad to take "
            "the call, or as if it interrupted something more important?",
            (
                "Made to feel I was a nuisance",
                "Hurried and distracted",
                "Polite but flat",
                "Friendly and attentive",
                "Warm and genuinely glad I called",
            ),
        ),
        _yes_no(
            "Did you get a clear, correct answer to the question in your scenario brief?",
            "Compare what you were told with the expected answer in your brief. Yes if the "
            "answer was correct and complete, or if the person said they would find out and "
            "told you exactly when and how you would hear back.",
            weight=2.0,
        ),
        _choice(
            "If the call had to be passed to someone else, how did that go?",
            "Pick the option that best matches what happened. Being put straight through to "
            "the person who could help, with your details passed on, is the best outcome.",
            (
                ("No transfer needed: the first person could help", 3),
                ("Put through once, to someone who could help, without repeating myself", 3),
                ("Put through to someone who could help, but I had to start over", 2),
                ("Transferred more than once, or to the wrong person", 1),
                ("Left on hold with no answer, or the call dropped", 0),
            ),
        ),
        _yes_no(
            "Before the call ended, did you know what would happen next?",
            "Yes if you finished the call knowing the next step: an appointment, a callback "
            "time, information being sent, or simply that everything you needed was covered. "
            "No if the call ended with loose ends nobody mentioned.",
        ),
        _text(
            "What one thing would have made this call better?",
            "Optional. Describe the moment, not the person: what was said or done, and what you "
            "would have liked instead.",
        ),
    ),
)

WALK_IN = TemplateTouchpoint(
    key="moments.walk-in",
    name="Walking in the door",
    stage=VISIT,
    channel=Channel.walk_in,
    mode=Mode.both,
    team="Front desk",
    target=85,
    description=(
        "Within seconds of stepping inside, a visitor decides whether they are welcome. What "
        "they see and how soon someone notices them set the mood for the rest of the visit."
    ),
    questions=(
        _scale(
            "How did the entrance and waiting area look as you came in?",
            "Look at the door, floor, counter and any seating or displays before anyone speaks "
            "to you. Litter, clutter, broken fittings or stale notices pull the score down.",
            (
                "Dirty or in visible disrepair",
                "Untidy in several places",
                "Acceptable, with a few things out of place",
                "Clean and orderly",
                "Spotless and inviting",
            ),
        ),
        _yes_no(
            "Could you tell where to go without having to ask?",
            "Yes if a sign, a layout that explains itself, or a visible reception point showed "
            "you where to head. No if you had to wander or guess.",
            weight=0.5,
        ),
        _number(
            "How many minutes passed before a member of staff acknowledged you?",
            "Start timing as you step through the door. Stop at the first greeting, nod with a "
            "word, or 'I'll be with you shortly'. Round to the nearest whole minute; enter 0 "
            "if you were greeted straight away.",
            rule=NumberRule.at_most,
            threshold=2,
            unit="minutes",
            weight=2.0,
        ),
        _yes_no(
            "If everyone was busy, did someone let you know you would be helped soon?",
            "A quick smile and a word such as 'I'll be right with you' counts as yes. Choose "
            "N/A if a member of staff was free and came to you at once.",
            allow_na=True,
        ),
        _scale(
            "How welcoming was the first greeting?",
            "Think about eye contact, a smile, and whether the greeting sounded meant rather "
            "than recited.",
            (
                "No greeting at all",
                "A reluctant or cold greeting",
                "A routine greeting without much warmth",
                "A friendly greeting with eye contact",
                "A warm, personal welcome that put me at ease",
            ),
            weight=1.5,
        ),
        _yes_no(
            "Were staff in view giving their attention to customers rather than to each other "
            "or their phones?",
            "Yes if staff you could see were either serving someone or ready to. No if private "
            "chat, personal phone use or eating at the counter kept customers waiting.",
        ),
        _yes_no(
            "Were you treated with the same respect as the other customers around you?",
            "Yes if the way you were spoken to and the order you were served in felt fair. No "
            "if others who arrived after you were served first without explanation, or you "
            "were spoken to noticeably less politely.",
        ),
        _text(
            "What one thing would have made arriving better?",
            "Optional. Describe what you saw or heard and what would have improved it.",
        ),
    ),
)

SALES_TALK = TemplateTouchpoint(
    key="moments.sales-talk",
    name="The sales conversation",
    stage=SALE,
    channel=Channel.sales,
    mode=Mode.people,
    team="Sales team",
    target=80,
    description=(
        "A customer who feels pressured starts to defend themselves; one who feels understood "
        "starts to trust. This moment decides whether people leave with a solution they "
        "believe in or with the feeling that someone only wanted their money."
    ),
    questions=(
        _yes_no(
            "Before recommending anything, did the salesperson ask about your needs?",
            "Yes if you were asked at least two real questions about what you want, how you "
            "will use it, or your budget before a product or service was proposed. A single "
            "'What are you looking for?' followed straight by a pitch counts as no.",
            weight=2.0,
        ),
        _choice(
            "Which best describes the salesperson's approach?",
            "Choose the description that fits the conversation as a whole, not just its opening.",
            (
                ("Listened first, then tailored a suggestion to what I said", 4),
                ("Some questions, but moved quickly to a standard pitch", 2),
                ("Pitched a product without asking about my needs", 1),
                ("Little or no help was offered", 0),
            ),
            weight=1.5,
        ),
        _number(
            "For how many minutes did you have the salesperson's undivided attention?",
            "Count the time the salesperson was focused on you alone: not serving someone "
            "else, answering the phone or checking a screen for unrelated work. Round down to "
            "whole minutes.",
            rule=NumberRule.at_least,
            threshold=5,
            unit="minutes",
        ),
        _scale(
            "How free did you feel to take your time and decide for yourself?",
            "Watch for pushy tactics such as invented deadlines, repeated closing questions or "
            "discouraging you from thinking it over.",
            (
                "Heavily pressured to buy now",
                "Pushed more than once",
                "Some gentle nudging",
                "Relaxed, with no pressure",
                "Actively encouraged to decide in my own time",
            ),
            weight=1.5,
        ),
        _yes_no(
            "Were different options explained, including what each would and would not do for you?",
            "Yes if you heard about at least two choices (or, where only one fits, why the "
            "others do not) with their trade-offs in plain words. Choose N/A if the scenario "
            "has only one possible product.",
            allow_na=True,
        ),
        _yes_no(
            "Did the salesperson answer your questions confidently and correctly?",
            "Use the questions and reference answers in your scenario brief. Yes if the answers "
            "matched, or if the salesperson checked and came back with the right answer rather "
            "than guessing.",
        ),
        _yes_no(
            "Was the full price, including any extras or fees, made clear before you were "
            "asked to commit?",
            "Yes if you knew the total you would pay, and what it included, before being asked "
            "to sign, pay or book. Surprise add-ons revealed at the end count as no.",
            weight=1.5,
        ),
        _scale(
            "As you left, how well did the proposed solution fit what you came in for?",
            "Judge against the needs described in your scenario brief, whether or not you "
            "were asked to actually buy.",
            (
                "Did not fit my needs at all",
                "Fitted only loosely",
                "Partly fitted, with gaps",
                "A good fit for my needs",
                "Exactly what I needed, clearly explained",
            ),
        ),
        _text(
            "What one thing would have made this conversation more helpful?",
            "Optional. Describe a moment in the conversation and what would have helped you more.",
        ),
    ),
)

PROBLEM = TemplateTouchpoint(
    key="moments.problem",
    name="Dealing with a problem",
    stage=AFTER_SALE,
    channel=Channel.problem,
    mode=Mode.people,
    team="Customer care",
    target=80,
    description=(
        "Something will go wrong sooner or later; what customers remember is how it was put "
        "right. A problem handled with care is often remembered longer, and more fondly, "
        "than a purchase that went smoothly."
    ),
    questions=(
        _yes_no(
            "Did staff accept that there was a problem worth solving?",
            "Yes if the person you spoke to recognized your issue as real and treated fixing it "
            "as their job. No if the problem was waved away ('it always does that'), ignored, "
            "or argued with.",
            weight=2.0,
            critical=True,
        ),
        _yes_no(
            "Were you allowed to explain the problem fully without being interrupted?",
            "Yes if you could describe the whole issue at your own pace. Brief clarifying "
            "questions are fine; being cut short or talked over counts as no.",
        ),
        _yes_no(
            "Did the staff member sum up the problem to check they had understood it?",
            "Yes if they summarized the issue in their own words, or confirmed the key details "
            "with you, before acting on it.",
        ),
        _yes_no(
            "Was the problem handled without blaming you or hiding behind company policy?",
            "Yes if the conversation stayed on fixing the issue. No if the main response was "
            "to suggest the fault was yours, or 'that's our policy' with no attempt to find a "
            "way forward.",
            weight=1.5,
        ),
        _scale(
            "How much did the staff member seem to be on your side?",
            "Think about tone, apology where due, and whether they spoke as if they and you "
            "were solving this together.",
            (
                "Treated me as the problem",
                "Indifferent to my situation",
                "Polite but detached",
                "Understanding and helpful",
                "Clearly committed to putting it right for me",
            ),
            weight=1.5,
        ),
        _choice(
            "By the end of the contact, where did the problem stand?",
            "Choose the option that describes the outcome when you left or hung up.",
            (
                ("Fixed or replaced on the spot", 4),
                ("A clear plan agreed, with a named contact and a date", 3),
                ("Told someone would get back to me, without a date", 1),
                ("No solution or next step offered", 0),
            ),
            weight=2.0,
        ),
        _yes_no(
            "Were you offered a choice of how to continue, such as waiting or getting a callback?",
            "Yes if you were asked how you would prefer to proceed (wait now, be called back, "
            "come back later). Choose N/A if the problem was solved immediately.",
            allow_na=True,
            weight=0.5,
        ),
        _yes_no(
            "Did staff do anything extra that you did not expect?",
            "A thoughtful touch beyond the fix itself: a small gesture, a personal note, an "
            "upgrade, an offer to deliver. Choose N/A if the problem was not resolved during "
            "the visit, so there was no natural moment for it.",
            allow_na=True,
            weight=0.5,
        ),
        _text(
            "What one thing would have made this experience better?",
            "Optional. Describe what happened and what you would have hoped for instead.",
        ),
    ),
)

BILL = TemplateTouchpoint(
    key="moments.bill",
    name="Paying the bill",
    stage=BILLING,
    channel=Channel.billing,
    mode=Mode.both,
    team="Accounts",
    target=85,
    description=(
        "The bill is the last thing many customers handle, and any confusion or error in it "
        "can undo the goodwill built earlier. A clear, correct bill and a helpful answer to "
        "billing questions close the visit on a note of trust."
    ),
    questions=(
        _choice(
            "How was the bill presented to you?",
            "Pick the option that matches what you received, on paper, on screen or by email.",
            (
                ("Itemized, with each line explained without my asking", 3),
                ("Itemized, and explained when I asked", 2),
                ("Itemized, but hard to follow", 1),
                ("A total only, with no breakdown", 0),
            ),
        ),
        _yes_no(
            "Was every charge on the bill correct, or was any error explained and put right?",
            "Check each line against the prices and quantities in your scenario brief. Yes if "
            "the bill was right, or if staff spotted or accepted an error, explained it and "
            "corrected it before you paid. No if a wrong charge stayed on the bill without a "
            "clear explanation.",
            weight=2.0,
            critical=True,
        ),
        _yes_no(
            "Were the amount due, the due date and the ways to pay all clear?",
            "Yes if you knew exactly how much to pay, by when, and which payment methods were "
            "accepted, without having to ask.",
        ),
        _number(
            "How many minutes did you wait to pay?",
            "Start timing when you were ready to pay (at the counter, or when you asked for "
            "the bill). Stop when your payment was taken. Choose N/A if you paid online or "
            "the bill arrived later.",
            rule=NumberRule.at_most,
            threshold=5,
            unit="minutes",
            allow_na=True,
        ),
        _scale(
            "How well was your billing question answered?",
            "Ask the billing question from your scenario brief. Judge whether the answer was "
            "correct, understandable and given willingly.",
            (
                "Not answered, or answered unwillingly",
                "A vague or partly wrong answer",
                "Correct, but only after some effort",
                "Correct and clearly explained",
                "Correct, clear and with a helpful suggestion",
            ),
        ),
        _yes_no(
            "If you asked about spreading or delaying payment, were your options explained?",
            "Yes if the staff member described what was possible (instalments, a later date, "
            "or who could arrange it), even if the answer was that no arrangement was "
            "available. Choose N/A if your scenario did not include this request.",
            allow_na=True,
        ),
        _yes_no(
            "Were you thanked for your business as you paid?",
            "A sincere thank-you in words counts. A receipt with a printed 'thank you' alone "
            "does not.",
            weight=0.5,
        ),
        _text(
            "What one thing would have made paying easier?",
            "Optional. Mention anything about the bill or the payment that puzzled or slowed "
            "you down.",
        ),
    ),
)

FIVE_MOMENTS = TemplateSet(
    key="five-moments",
    name="The five moments of truth",
    summary=(
        "The five contacts where most customers form their opinion of a business: the first "
        "phone call, arriving in person, talking with a salesperson, getting a problem sorted "
        "out, and paying. Each comes with a checklist a secret shopper can answer during or "
        "just after the visit."
    ),
    touchpoints=(FIRST_CALL, WALK_IN, SALES_TALK, PROBLEM, BILL),
)


# --- set 2: the basic service processes ----------------------------------------------------

PROCESS_INQUIRY = TemplateTouchpoint(
    key="process.inquiry",
    name="Answering an inquiry",
    stage=INQUIRY,
    channel=Channel.email,
    mode=Mode.both,
    team="Customer care",
    target=80,
    description=(
        "Most people look for information before they think about buying. How a "
        "written inquiry is answered, how fast and how personally, runs many times a week "
        "and shapes whether a prospect ever becomes a customer."
    ),
    questions=(
        _yes_no(
            "Could you find an email address or contact form on the website within two minutes?",
            "Start on the home page and time yourself. Yes if you found a way to send a "
            "written question within two minutes, without searching elsewhere.",
            weight=0.5,
        ),
        _number(
            "How many working hours passed before a personal reply arrived?",
            "Count working hours from sending your inquiry to the first reply written by a "
            "person. An automatic 'we have received your message' does not count. Enter the "
            "hours as a whole number.",
            rule=NumberRule.at_most,
            threshold=24,
            unit="hours",
            weight=2.0,
        ),
        _yes_no(
            "Was the reply written for you rather than a general template?",
            "Yes if it used your name and referred to the details you gave. A form letter that "
            "could have gone to anyone counts as no.",
        ),
        _yes_no(
            "Did the reply answer every question you asked?",
            "Compare the reply with the questions in your scenario brief. Yes only if each one "
            "received a real answer, or a clear note of when the missing answer would follow.",
            weight=2.0,
        ),
        _choice(
            "What supporting information came with the answer?",
            "Choose the option that best describes any material offered: brochures, price "
            "lists, links, photos or attachments.",
            (
                ("Material picked to match my question", 3),
                ("A general brochure or a link to the website", 2),
                ("Nothing beyond the written answer", 1),
                ("Material that did not match what I asked", 0),
            ),
        ),
        _scale(
            "How friendly and easy to read was the reply?",
            "Consider greeting, tone, plain language and layout.",
            (
                "Curt or hard to understand",
                "Stiff and full of jargon",
                "Clear but impersonal",
                "Friendly and easy to follow",
                "Warm, clear and a pleasure to read",
            ),
        ),
        _yes_no(
            "Did the reply invite you to take a clear next step?",
            "Yes if it suggested something specific: a visit, a call, a booking link, or the "
            "name of a person to contact.",
        ),
        _text(
            "What one thing would have made this reply more useful?",
            "Optional. Note any question left open or information you still had to look for.",
        ),
    ),
)

PROCESS_SALES = TemplateTouchpoint(
    key="process.sales",
    name="The sales process",
    stage=SALE,
    channel=Channel.sales,
    mode=Mode.people,
    team="Sales team",
    target=80,
    description=(
        "The sales process turns interest into a purchase, and its quality shows later: in "
        "how many buyers come back happy and how many come back to complain. A careful "
        "process leaves customers clear about what they bought and what happens next."
    ),
    questions=(
        _yes_no(
            "Did the salesperson confirm your needs back to you before proposing a solution?",
            "Yes if they summarized what you wanted (for example 'so you need something for "
            "two people, under this budget, by Friday') before suggesting anything.",
            weight=1.5,
        ),
        _number(
            "How many of your prepared questions were left unanswered or answered vaguely?",
            "Your scenario brief lists the questions to ask. Count those that did not receive "
            "a clear answer by the end of the conversation.",
            rule=NumberRule.at_most,
            threshold=0,
            unit="questions",
            weight=1.5,
        ),
        _yes_no(
            "Were delivery times, start dates or other promises realistic and specific?",
            "Yes if you were given firm, believable dates or time frames. Vague promises ('it "
            "should be quick') or ones that sound too good to be true count as no. Choose N/A "
            "if timing did not come up.",
            allow_na=True,
        ),
        _yes_no(
            "Was the total cost, including all extras, stated before you were asked to decide?",
            "Yes if the full amount you would pay was clear before any request to sign, pay or "
            "book.",
            weight=1.5,
        ),
        _yes_no(
            "Were you told what happens after the purchase and whom to contact with questions?",
            "Yes if you learned about delivery or setup, any guarantee, and how to reach the "
            "business if something went wrong.",
        ),
        _scale(
            "How easy were any forms, quotes or contracts to understand?",
            "Look at the paperwork you were given or shown. Choose N/A if there was none.",
            (
                "Confusing, and nobody explained them",
                "Hard to follow in places",
                "Understandable with some effort",
                "Clear and simple",
                "Very clear, with the key points explained to me",
            ),
            allow_na=True,
        ),
        _scale(
            "Overall, how did you feel during the sales process?",
            "Sum up the whole experience from greeting to goodbye.",
            (
                "Uncomfortable and keen to leave",
                "Uneasy at several points",
                "Neutral",
                "Comfortable and well looked after",
                "Confident and glad I came",
            ),
        ),
        _text(
            "What one thing would have made buying easier?",
            "Optional. Describe the step that slowed you down or left you unsure.",
        ),
    ),
)

PROCESS_AFTER_SALE = TemplateTouchpoint(
    key="process.after-sale",
    name="Service after the sale",
    stage=AFTER_SALE,
    channel=Channel.phone,
    mode=Mode.both,
    team="Customer care",
    target=80,
    description=(
        "Help after the purchase is what turns a one-off buyer into a loyal customer. How "
        "questions and issues are handled once the money has changed hands shows whether the "
        "business backs up what it sells."
    ),
    questions=(
        _yes_no(
            "Was it easy to find out how to get help after your purchase?",
            "Yes if the contact details for after-sale help were on your receipt, paperwork, "
            "product or the website's front page, and you did not have to search for them.",
        ),
        _yes_no(
            "Did you reach someone able to deal with your issue without being passed around?",
            "Yes if the first or second person you spoke to could handle it. Being passed to a "
            "third person, or told to call a different number, counts as no.",
            weight=1.5,
        ),
        _yes_no(
            "Did the staff member seem to know this kind of issue and how it is usually solved?",
            "Yes if they recognized the issue and knew the standard fix or answer, rather than "
            "starting from scratch or guessing.",
        ),
        _number(
            "How many hours did it take to fix, replace or fully answer your issue?",
            "Count from your first contact to the moment the issue was resolved. Enter 0 if it "
            "was solved during the first contact. Choose N/A if it was still open when you "
            "submitted this shop.",
            rule=NumberRule.at_most,
            threshold=24,
            unit="hours",
            weight=2.0,
            allow_na=True,
        ),
        _yes_no(
            "Before the contact ended, were you asked whether the answer fully solved your issue?",
            "Yes if the staff member checked that you were satisfied, rather than assuming it.",
        ),
        _yes_no(
            "Did someone contact you afterwards to check that all was well?",
            "Yes if the business called, wrote or messaged later to confirm the fix worked. "
            "Choose N/A if your shop was submitted before a follow-up would reasonably be "
            "expected.",
            allow_na=True,
        ),
        _scale(
            "How easy was it, overall, to get your issue dealt with?",
            "Sum up the effort it took you, from finding the contact to the final answer.",
            (
                "Exhausting, and still not resolved",
                "Harder than it should have been",
                "Reasonable effort",
                "Easy",
                "Effortless: the business did the work",
            ),
            weight=1.5,
        ),
        _text(
            "What one thing would have made getting help easier?",
            "Optional. Describe the step that cost you the most time or effort.",
        ),
    ),
)

PROCESS_BILLING = TemplateTouchpoint(
    key="process.billing",
    name="The billing process",
    stage=BILLING,
    channel=Channel.billing,
    mode=Mode.both,
    team="Accounts",
    target=85,
    description=(
        "A bill totals what the customer owes and requests payment, so it has to be right, "
        "prompt and easy to read. When the same question about a bill keeps arriving, it "
        "signals a step in the process worth fixing."
    ),
    questions=(
        _number(
            "How many days after the purchase did the invoice or statement arrive?",
            "Count calendar days from the purchase or service date to the day the bill reached "
            "you. Choose N/A if you paid in full at the time of purchase.",
            rule=NumberRule.at_most,
            threshold=7,
            unit="days",
            allow_na=True,
        ),
        _yes_no(
            "Was the invoice free of errors, or was any error explained and corrected?",
            "Check names, dates, quantities, prices and totals against your scenario brief. "
            "Yes if all were right, or if an error was explained and a corrected invoice "
            "promised or sent. No if a wrong amount remained without explanation.",
            weight=2.0,
            critical=True,
        ),
        _yes_no(
            "Did the invoice explain any charge that was not self-evident?",
            "Yes if fees, discounts, taxes or adjustments came with a short note saying what "
            "they were for. Choose N/A if every line was self-explanatory.",
            allow_na=True,
        ),
        _scale(
            "How easy was the invoice to understand at a glance?",
            "Judge layout, wording and whether the amount due and the due date stand out.",
            (
                "Baffling",
                "Hard to make sense of",
                "Understandable after careful reading",
                "Clear",
                "Crystal clear at a glance",
            ),
        ),
        _choice(
            "When you contacted the business with a question about the invoice, what happened?",
            "Ask the billing question in your scenario brief by phone or email.",
            (
                ("Answered correctly at the first contact", 3),
                ("Answered correctly after a callback or second contact", 2),
                ("Answered, but the answer was unclear or incomplete", 1),
                ("Not answered", 0),
            ),
            weight=1.5,
        ),
        _yes_no(
            "Were you told that your question would be used to make future invoices clearer?",
            "Yes if the staff member noted your question as feedback or said the invoice "
            "would be looked at. Choose N/A if your question was about your own account only.",
            allow_na=True,
            weight=0.5,
        ),
        _yes_no(
            "If you asked for a change to your details, was it in place by your next bill?",
            "For example a new address or billing contact. Choose N/A if your scenario did not "
            "include a change, or if no later bill has arrived yet.",
            allow_na=True,
        ),
        _text(
            "What one thing would have made this bill easier to deal with?",
            "Optional. Mention any line, term or step that confused you.",
        ),
    ),
)

SERVICE_PROCESSES = TemplateSet(
    key="service-processes",
    name="The basic service processes",
    summary=(
        "Four everyday processes that every organization runs over and over: answering "
        "inquiries, selling, helping after the sale, and billing. Because they repeat so "
        "often, small improvements to them add up quickly."
    ),
    touchpoints=(PROCESS_INQUIRY, PROCESS_SALES, PROCESS_AFTER_SALE, PROCESS_BILLING),
)


# --- set 3: the seven Cs of customer retention ---------------------------------------------

SEVEN_CS = TemplateTouchpoint(
    key="retention.seven-cs",
    name="Keeping customers: the seven Cs",
    stage=AFTER_SALE,
    channel=Channel.other,
    mode=Mode.both,
    team="Customer care",
    target=80,
    description=(
        "The seven Cs are the basic expectations people bring to every business they return "
        "to; falling short on any of them gives a customer a reason to try a competitor. "
        "This checklist follows an existing customer with a request from first contact to "
        "follow-up."
    ),
    questions=(
        _scale(
            "How caring and friendly were the staff you dealt with?",
            "Caring attitude. Did staff show interest in you and your situation, and apologize "
            "if the business had made a mistake?",
            (
                "Cold or dismissive",
                "Indifferent",
                "Polite but distant",
                "Friendly and interested",
                "Warm, and made me feel my custom mattered",
            ),
            weight=1.5,
        ),
        _yes_no(
            "When your request did not fit the usual routine, did staff look for a way to "
            "make it work?",
            "Customized practices. Yes if they adapted a rule or offered an alternative. No if "
            "the answer was simply 'we can't do that'. Choose N/A if your request was routine.",
            allow_na=True,
        ),
        _yes_no(
            "Were any forms you had to fill in short and easy to understand?",
            "Customized practices. Yes if any paperwork or online form asked only for what "
            "was needed, in plain words. Choose N/A if no form was involved.",
            allow_na=True,
            weight=0.5,
        ),
        _yes_no(
            "Could staff see your history with the business without asking you to repeat it?",
            "Customized practices. Yes if they looked up your account or previous purchase "
            "themselves once you identified yourself.",
        ),
        _yes_no(
            "Did the person helping you explain things accurately and act on what they said?",
            "Competent contact staff. Yes if the information matched your scenario brief and "
            "the actions promised during the contact were actually carried out.",
            weight=1.5,
        ),
        _number(
            "How many times did you have to explain your request before it was handled?",
            "Call or visit once. Count each person to whom you had to describe the request "
            "from the beginning. Ideally the first person deals with it or passes it on with "
            "all the details.",
            rule=NumberRule.at_most,
            threshold=1,
            unit="times",
            weight=1.5,
        ),
        _number(
            "How many minutes did you spend waiting or on hold before reaching someone who "
            "could help?",
            "Convenient access. Add up all waiting: queues, hold music and transfers. Round to "
            "the nearest whole minute.",
            rule=NumberRule.at_most,
            threshold=3,
            unit="minutes",
        ),
        _yes_no(
            "Were opening hours and contact options convenient for someone with a working day?",
            "Convenient access. Yes if you could reach the business early, late, at weekends "
            "or through a channel that does not depend on office hours (such as email or an "
            "online form that gets answered).",
            weight=0.5,
        ),
        _choice(
            "How quickly was your request completed?",
            "Compressed cycle times. Choose the option that matches when the request was "
            "actually done, not when it was promised.",
            (
                ("On the spot", 4),
                ("The same day", 3),
                ("Within the time I was promised", 2),
                ("Later than promised", 0),
                ("Still not done when I submitted this shop", 0),
            ),
            weight=1.5,
        ),
        _yes_no(
            "Were you told what would happen next, who would do it and by when?",
            "Committed follow-through. Yes only if all three were clear. Choose N/A if the "
            "request was finished during the first contact.",
            allow_na=True,
        ),
        _yes_no(
            "Did the business check back with you to confirm the request was done to your "
            "satisfaction?",
            "Committed follow-through. Yes if someone called, wrote or messaged afterwards "
            "to check. Choose N/A if the shop was submitted before a check-back would be due.",
            allow_na=True,
        ),
        _text(
            "What one thing would most make you want to stay a customer?",
            "Optional. Think about the whole experience, from first contact to follow-up.",
        ),
    ),
)

SEVEN_CS_SET = TemplateSet(
    key="seven-cs",
    name="The seven Cs of customer retention",
    summary=(
        "A retention checklist built on seven basic expectations: a caring attitude, "
        "customized practices, competent contact staff, calling or visiting once, "
        "convenient access, compressed cycle times and committed follow-through."
    ),
    touchpoints=(SEVEN_CS,),
)


TEMPLATE_SETS: tuple[TemplateSet, ...] = (FIVE_MOMENTS, SERVICE_PROCESSES, SEVEN_CS_SET)
