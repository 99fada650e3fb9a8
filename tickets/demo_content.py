"""What the demo says: the agents and groups, customers' names, and the stories of their requests.

Plain data, read by tickets/seeding.py.
"""

from dataclasses import dataclass

from tickets.models import TicketPriority, TicketType

# --- People ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    groups: tuple[str, ...] = ()
    admin: bool = False


DEMO_USERS = (
    DemoUser("admin", "Ada", "Admin", admin=True),
    DemoUser("agent", "Alex", "Agent", groups=("Support", "Billing")),
    DemoUser("maria", "Maria", "Silva", groups=("Support",)),
    DemoUser("joao", "João", "Pereira", groups=("Support", "Sales")),
    DemoUser("priya", "Priya", "Patel", groups=("Billing",)),
    DemoUser("liam", "Liam", "O'Connor", groups=("Support",)),
    DemoUser("sofia", "Sofía", "García", groups=("Sales", "Billing")),
    DemoUser("kenji", "Kenji", "Tanaka", groups=("Sales",)),
)

DEMO_GROUPS = {
    "Support": "Orders, deliveries, accounts and the app.",
    "Billing": "Payments, refunds and invoices.",
    "Sales": "Plans, pricing and new customers.",
}

FIRST_NAMES = (
    "Ana", "Beatriz", "Carlos", "Daniela", "Eduardo", "Fernanda", "Gabriel", "Helena", "Igor", "Juliana",
    "Lucas", "Mariana", "Natália", "Otávio", "Paula", "Rafael", "Sara", "Thiago", "Vitória", "Bruno",
    "Camila", "Diego", "Larissa", "Mateus", "Renata", "Emma", "Oliver", "Charlotte", "James", "Amelia",
    "Noah", "Olivia", "Ethan", "Grace", "Jack", "Chloe", "Daniel", "Hannah", "Samuel", "Zoe",
    "Lucía", "Javier", "Valentina", "Alejandro", "Camille", "Louis", "Léa", "Hugo", "Giulia", "Marco",
    "Aisha", "Omar", "Fatima", "Yusuf", "Mei", "Wei", "Hiroshi", "Yuki", "Arjun", "Ananya",
)  # fmt: skip
LAST_NAMES = (
    "Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira", "Lima", "Gomes",
    "Costa", "Ribeiro", "Martins", "Carvalho", "Almeida", "Lopes", "Barbosa", "Rocha", "Dias", "Moreira",
    "Smith", "Johnson", "Brown", "Taylor", "Wilson", "Davies", "Evans", "Thomas", "Walker", "Wright",
    "Hughes", "Green", "Clarke", "Hall", "Wood", "García", "Martínez", "Hernández", "López", "González",
    "Dubois", "Moreau", "Laurent", "Rossi", "Russo", "Bianchi", "Müller", "Schmidt", "Khan", "Hassan",
    "Chen", "Wang", "Nakamura", "Sato", "Sharma", "Gupta", "Nguyen", "Kowalski", "Novak", "Jensen",
)  # fmt: skip
EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example.com", "corp.example")
OPT_IN_SOURCES = ("whatsapp_chat", "web_form", "checkout", "agent", "import")


# --- Conversations --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Story:
    """One kind of request: the subject, the customer's first message, an agent's reply and a resolution."""

    subject: str
    opener: str
    reply: str
    resolution: str
    tags: tuple[str, ...]


@dataclass(frozen=True)
class Topic:
    group: str
    weight: int
    types: dict[str | None, int]
    stories: tuple[Story, ...]
    followups: tuple[str, ...]  # what customers write next, whatever the story
    notes: tuple[str, ...]  # internal notes


TOPICS = (
    Topic(
        group="Support",
        weight=40,
        types={TicketType.QUESTION: 4, TicketType.INCIDENT: 3, None: 2},
        stories=(
            Story(
                "Order {order} hasn't arrived yet",
                "Hi, my order {order} was supposed to arrive on Monday and it still hasn't. Can you check?",
                "Hi {first}, thanks for reaching out! I've asked the carrier for an update on {order} and will get "
                "back to you as soon as I hear from them.",
                "Hi {first}, the carrier confirmed {order} was delivered this morning. Enjoy, and let us know if "
                "anything else comes up.",
                ("shipping", "late", "order"),
            ),
            Story(
                "Tracking link for {order} doesn't work",
                "Hello! The tracking link for order {order} just says 'label created' for days now.",
                "Hi {first}, I can see {order} is at the local depot. It should be out for delivery within two days.",
                "Hi {first}, {order} is out for delivery today. Here is the new tracking link: "
                "https://track.example.com/{ref}",
                ("tracking", "shipping"),
            ),
            Story(
                "Item arrived damaged",
                "Good morning, I received order {order} but the box was crushed and the mug inside is broken.",
                "Hi {first}, I'm so sorry about that! Could you send us a photo of the package and the label?",
                "Hi {first}, a replacement for {order} has been shipped, you'll get the tracking number by e-mail. "
                "No need to send the broken one back.",
                ("damaged", "order", "replacement"),
            ),
            Story(
                "Wrong size received in order {order}",
                "Hi there, I ordered a size M and got an XL. Order {order}. How do I swap it?",
                "Hi {first}, sorry for the mix-up! I've e-mailed you a prepaid return label; the right size ships as "
                "soon as the carrier scans the parcel.",
                "Hi {first}, your size M is on its way. Thanks for your patience!",
                ("exchange", "order"),
            ),
            Story(
                "Can I change the delivery address of {order}?",
                "Hey, can I still change the delivery address for {order}? I'm moving this week.",
                "Hi {first}, it hasn't left the warehouse yet, so yes. Could you send me the full new address?",
                "Done {first}! {order} will go to your new address. Is there anything else I can help with?",
                ("address-change", "order"),
            ),
            Story(
                "Missing item in my order",
                "Hello, one of the three items in order {order} is missing from the parcel.",
                "Hi {first}, thanks for letting us know. I'm checking with the warehouse what went into the box.",
                "Hi {first}, the missing item was shipped separately today, it should arrive in 2-3 days.",
                ("missing-item", "order"),
            ),
        ),
        followups=(
            "Any news on this? I really need it before the weekend.",
            "Thanks. I just checked again and nothing has changed.",
            "I've attached a photo of the box.",
            "Ok, thank you. I'll keep an eye on my e-mail.",
            "Still waiting for an answer here...",
        ),
        notes=(
            "Carrier claim opened, reference CX-{ref}.",
            "Customer had a late delivery last month too, treat as priority.",
            "Warehouse confirmed the parcel left with two items only.",
            "Waiting on the carrier's claim team before we replace.",
        ),
    ),
    Topic(
        group="Support",
        weight=25,
        types={TicketType.PROBLEM: 2, TicketType.INCIDENT: 3, TicketType.QUESTION: 3, None: 2},
        stories=(
            Story(
                "Can't log in after resetting my password",
                "I reset my password twice and the app still says 'invalid credentials'.",
                "Hi {first}, sorry for the hassle. I've sent a fresh reset link to your e-mail, it is valid for 30 "
                "minutes. Could you try once more?",
                "Done {first}: your account was locked after too many attempts. It's unlocked now and you can log "
                "in again.",
                ("login", "password", "account"),
            ),
            Story(
                "App crashes when I open my orders",
                "Since the last update the app closes as soon as I tap 'My orders'. Android 14.",
                "Hi {first}, thanks for the details. Our developers are looking into it; I'll update you here.",
                "Hi {first}, version {version} of the app fixes this. Please update and let us know how it goes!",
                ("bug", "mobile-app"),
            ),
            Story(
                "Two-factor code never arrives",
                "I'm not receiving the SMS code to log in. My number is the one on the account.",
                "Hi {first}, could you check that your phone isn't blocking short codes? Meanwhile I've switched you "
                "to e-mail codes.",
                "Hi {first}, glad the e-mail codes work. You can switch back to SMS in Settings > Security any time.",
                ("login", "2fa"),
            ),
            Story(
                "How do I delete my account?",
                "Hi, how can I delete my account and all my data?",
                "Hi {first}, sorry to see you go. To confirm it's you, please reply from the e-mail on the account.",
                "Hi {first}, your account and personal data have been deleted as requested.",
                ("account", "privacy", "how-to"),
            ),
            Story(
                "Checkout button does nothing on iPhone",
                "The checkout button on the website doesn't do anything on my iPhone (Safari).",
                "Hi {first}, thanks! Could you try with private browsing off and content blockers disabled?",
                "Hi {first}, we've fixed a Safari issue on the checkout page this morning. It should work now!",
                ("bug", "checkout"),
            ),
        ),
        followups=(
            "I tried that, still the same.",
            "It works on my laptop but not on my phone.",
            "Here is the screenshot of the error.",
            "Ok thanks, I'll wait.",
        ),
        notes=(
            "Known issue, linked to bug APP-{ref}.",
            "Reproduced on Android 14 / app {version}.",
            "Escalated to the mobile team.",
        ),
    ),
    Topic(
        group="Billing",
        weight=25,
        types={TicketType.QUESTION: 3, TicketType.PROBLEM: 2, TicketType.TASK: 1, None: 1},
        stories=(
            Story(
                "Charged twice for order {order}",
                "Hi, I was charged twice for order {order}. Can you refund one of the payments?",
                "Hi {first}, thanks for letting us know. I can see both charges and I'm checking with our payments "
                "team now.",
                "Hi {first}, the duplicate charge has been refunded. It can take 5-10 business days to show up.",
                ("billing", "refund", "payment"),
            ),
            Story(
                "Refund for order {order}",
                "Hello, I returned order {order} two weeks ago and haven't received my refund yet.",
                "Hi {first}, the warehouse received your return on Friday. Could you confirm the last four digits "
                "of the card you paid with?",
                "Hi {first}, your refund for {order} has been issued today.",
                ("refund", "return"),
            ),
            Story(
                "Invoice {invoice} shows the wrong tax number",
                "Our tax number on invoice {invoice} is wrong, could you issue a corrected one?",
                "Hi {first}, of course. Could you send me the correct tax number and company name?",
                "Hi {first}, here is your corrected invoice {invoice}. Sorry for the mix-up!",
                ("invoice", "billing"),
            ),
            Story(
                "Card declined when renewing my subscription",
                "My card keeps getting declined when I try to renew, but it works everywhere else.",
                "Hi {first}, the bank returned 'do not honor', which usually means a fraud check on their side. "
                "Could you ask them to allow the payment?",
                "Hi {first}, the payment went through and your subscription is renewed until next year.",
                ("payment", "subscription"),
            ),
            Story(
                "Can I pay by bank transfer?",
                "Hi, do you accept bank transfers for annual plans?",
                "Hi {first}, yes, we accept bank transfers for annual plans. Shall I send you our bank details?",
                "Hi {first}, we received your transfer, thank you! Your annual plan is active.",
                ("payment", "how-to"),
            ),
            Story(
                "Please cancel my subscription",
                "Please cancel my subscription at the end of this month. Thanks.",
                "Hi {first}, sorry to see you go! Before I cancel: would a pause of up to three months help instead?",
                "Hi {first}, your subscription is cancelled and won't renew. You keep access until the end of the "
                "month.",
                ("cancellation", "subscription"),
            ),
        ),
        followups=(
            "I checked with my bank and they say it's on your side.",
            "Thanks, can you confirm the amount?",
            "The correct details are in my account settings.",
            "Any update on this?",
        ),
        notes=(
            "Refund approved by finance, ref RF-{ref}.",
            "Duplicate charge confirmed in the payment dashboard.",
            "Customer on the annual plan since 2021.",
            "Chargeback risk, handle today.",
        ),
    ),
    Topic(
        group="Sales",
        weight=10,
        types={TicketType.QUESTION: 3, TicketType.TASK: 2, None: 1},
        stories=(
            Story(
                "Pricing for {seats} seats",
                "Hi! We're a team of {seats} and would like a quote for the {plan} plan.",
                "Hi {first}, thanks for your interest! For {seats} seats on {plan} I can offer a 10% annual "
                "discount. Shall I send a formal quote?",
                "Hi {first}, the quote is in your inbox. Let me know if you have any questions.",
                ("pricing", "lead"),
            ),
            Story(
                "Do you offer a discount for nonprofits?",
                "Hello, we're a nonprofit. Is there a discounted price?",
                "Hi {first}, yes, nonprofits get 30% off every plan. I just need a copy of your registration.",
                "Hi {first}, the nonprofit discount is applied to your account. Welcome aboard!",
                ("pricing", "discount", "nonprofit"),
            ),
            Story(
                "Demo request for our team",
                "Could we book a demo next week? We're comparing a few tools.",
                "Hi {first}, happy to show you around. Does Thursday at 3 pm work?",
                "Hi {first}, thanks for your time today! The recording and the slides are in your inbox.",
                ("demo", "lead"),
            ),
            Story(
                "Upgrade to the {plan} plan",
                "We'd like to upgrade to {plan}. What happens to our current billing?",
                "Hi {first}, you only pay the difference for the rest of the period. Shall I switch you now?",
                "Hi {first}, your account is now on the {plan} plan. Enjoy the new features!",
                ("upgrade", "billing"),
            ),
        ),
        followups=(
            "Thursday afternoon works for us.",
            "Does the price include onboarding?",
            "Great, please copy our finance team as well.",
        ),
        notes=(
            "Qualified lead, {seats} seats, decision this quarter.",
            "Sent to the account executive for a custom quote.",
            "They currently use a shared inbox.",
        ),
    ),
)
TOPIC_WEIGHTS = [t.weight for t in TOPICS]
FOLLOW_UP_REPLIES = (
    "Thanks {first}, that helps. I'll keep you posted here.",
    "Hi {first}, quick update: we're still on it and I'll write as soon as I have news.",
    "Thanks for your patience, {first}. Could you confirm that everything else looks right on your side?",
)
PLANS = ("Starter", "Team", "Business", "Enterprise")
APP_VERSIONS = ("4.12.1", "4.13.0", "4.13.2", "5.0.0")


# --- The mix of tickets ---------------------------------------------------------------------------------

# Status mix by age: recent tickets are still being worked on, older ones are mostly solved or closed.
STATUS_BY_AGE = (
    (1, {"new": 35, "open": 40, "pending": 15, "hold": 2, "solved": 8}),
    (5, {"new": 10, "open": 35, "pending": 25, "hold": 8, "solved": 20, "closed": 2}),
    (31, {"new": 2, "open": 10, "pending": 8, "hold": 5, "solved": 40, "closed": 35}),
)
PRIORITY_WEIGHTS = {
    None: 20,
    TicketPriority.LOW: 15,
    TicketPriority.NORMAL: 45,
    TicketPriority.HIGH: 15,
    TicketPriority.URGENT: 5,
}
COMMENT_COUNT_WEIGHTS = {1: 20, 2: 35, 3: 25, 4: 20}
