"""A search corpus at COPY speed: N tickets, about 5 N messages of German and English helpdesk text, over 5 groups.

Used by `bench/pages.py --search-tickets N`. Words are drawn from a Zipf-like distribution (the k-th most frequent
word about 1/k as often as the first) over a few hundred real helpdesk words in both languages, with their inflected
forms (so stemming has work to do: "Rechnungen" must find "Rechnung"), followed by a long tail of German compounds
and English two-word terms that each occur a handful of times. Requesters have names, phone numbers and e-mail
addresses, and some messages quote them. Tickets spread over five groups plus a few not yet routed, so an agent of
one group sees about a fifth of them.

Contacts, tickets and messages are written with COPY after dropping the full-text indexes, which are rebuilt once at
the end (building a GIN index in one pass is several times faster than maintaining it per row).
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Iterator
from importlib import import_module

HEAD_LEXEMES = import_module("tickets.migrations.0015_search_head_lexemes").HEAD

GROUPS = ("Support", "Billing", "Sales", "Logistik", "Technik")
# The restricted agent belongs to this group only; `admin` sees everything.
AGENT_GROUP = "Billing"
MESSAGES_PER_TICKET = 5
UNROUTED_SHARE = 0.03
CHUNK = 10000
GERMAN_SHARE = 0.6

# Most frequent first; stop words included, as real text has them (the search drops them).
GERMAN = """
ich die der und nicht das ist zu ein mein meine habe bitte sie den mit es auf für von Sie wir Ihre noch
Bestellung Lieferung Rechnung Paket Konto Zahlung Kunde Problem Hallo Danke Grüße Frage Hilfe Artikel Rücksendung
Rückerstattung Adresse Passwort Anmeldung Versand Preis Abo Kündigung Gutschein Fehler Termin Woche heute gestern
Bestellungen Lieferungen Rechnungen Pakete Zahlungen Artikeln Rücksendungen Fehlermeldung Fehlermeldungen
bestellt geliefert bezahlt storniert beschädigt falsch kaputt leider dringend schnell sofort erhalten zurück
angekommen verschickt Sendungsverfolgung Lieferadresse Rechnungsadresse Kundennummer Bestellnummer Lieferzeit
Mahnung Mahnungen Überweisung Lastschrift Kreditkarte Umtausch Garantie Reklamation Ersatz Ersatzteil Größe Farbe
möchte könnten würde müssen wurde wurden warten gewartet funktioniert geht seit immer wieder schon
Bildschirm Drucker Akku Ladegerät Kabel Handy Gerät Geräte App Aktualisierung Datenschutz Benutzerkonto
Mitarbeiter Kollegin Filiale Öffnungszeiten Rückruf Rückrufe Telefonnummer Anruf Nachricht Nachrichten Antwort
"""
ENGLISH = """
the i to and my a is it of you for on have not please we in your this with order was be can
delivery invoice package account payment customer problem hello thanks question help item return refund address
password login shipping price subscription cancellation voucher error appointment week today yesterday
orders deliveries invoices packages payments items returns refunds errors charged charges
ordered delivered paid cancelled damaged wrong broken unfortunately urgent quickly immediately received back
arrived shipped tracking number store branch callback phone message messages reply warranty replacement
size colour screen printer battery charger cable device devices app update privacy profile colleague manager
waiting waited working works since again already still missing refunded delayed late
"""
TAIL_HEADS = (
    "Kunden Liefer Rechnungs Zahlungs Versand Bestell Konto Garantie Ersatz Geräte Akku Drucker Service Rückgabe "
    "Gutschein Abo Preis Support Paket Adress"
)
TAIL_ENDS = (
    "nummer änderung fehler frist bestätigung gebühr problem anfrage status daten schein box wechsel karte termin "
    "kosten hinweis prüfung sperre stelle"
)
EN_TAIL_HEADS = "account billing shipping device battery store parcel refund warranty voucher"
EN_TAIL_ENDS = "limit hold delay code fee slip label query issue review"
# Words placed a few times on purpose, for the "rare word" query.
RARE = ("Quittungsdrucker", "flux capacitor")
FIRST_NAMES = (
    "Anna Lena Jonas Lukas Marie Sophie Felix Paul Emma Mia Leon Finn Hannah Lea Ben Noah Elias Laura Julia Tim "
    "Olivia James Amelia Oliver Jack Grace Chloe Daniel Samuel Zoe Jürgen Ute Jörg Günther Björn Dörte"
)
LAST_NAMES = (
    "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch Bauer Richter Klein "
    "Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann Lange Smith Johnson Brown Taylor Wilson "
    "Davies Evans Walker Wright Hughes Özdemir Yildiz Nowak Kowalski"
)
DOMAINS = ("example.com", "example.org", "example.net", "mail.example.de", "firma.example")


def _zipf_weights(n: int, s: float = 1.05) -> list[float]:
    return [1.0 / (k**s) for k in range(1, n + 1)]


class Writer:
    """Text, names and numbers from one seeded random source, so a size always yields the same corpus."""

    def __init__(self, seed: int = 20261203):
        self.rng = random.Random(seed)
        tail = [h + e for h in TAIL_HEADS.split() for e in TAIL_ENDS.split()]
        en_tail = [f"{h} {e}" for h in EN_TAIL_HEADS.split() for e in EN_TAIL_ENDS.split()]
        self.words = {}
        for lang, head, rest in (("de", GERMAN.split(), tail), ("en", ENGLISH.split(), en_tail)):
            vocabulary = head + rest
            weights = _zipf_weights(len(vocabulary))
            total, cumulative = 0.0, []
            for w in weights:
                total += w
                cumulative.append(total)
            self.words[lang] = (vocabulary, cumulative)

    def text(self, lang: str, n: int) -> str:
        vocabulary, cumulative = self.words[lang]
        words = self.rng.choices(vocabulary, cum_weights=cumulative, k=n)
        return " ".join(words).capitalize()

    def person(self) -> tuple[str, str, str]:
        first, last = self.rng.choice(FIRST_NAMES.split()), self.rng.choice(LAST_NAMES.split())
        local = f"{first}.{last}".lower().replace("ü", "ue").replace("ö", "oe").replace("ä", "ae")
        local = local.encode("ascii", "ignore").decode() + str(self.rng.randint(1, 999))
        phone = f"+49 1{self.rng.randint(50, 79)} {self.rng.randint(1000000, 9999999)}"
        return f"{first} {last}", f"{local}@{self.rng.choice(DOMAINS)}", phone


def _copy_rows(cursor, table: str, columns: tuple[str, ...], rows: Iterator[tuple]) -> int:
    n = 0
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            n += 1
    return n


FTS_INDEXES = (
    "ticket_subject_fts",
    "contact_fts",
    "comment_body_fts",
    "tickets_search_messages_fts",
    "tickets_search_messages_updated",
)
MESSAGE_TRIGGER = "tickets_search_messages_insert"
TICKET_TRIGGER = "tickets_search_messages_ticket_insert"  # migration 0010: a document row per ticket


def seed(tickets: int, progress=print) -> dict:
    """Fill the (migrated, empty) database Django is connected to. Returns the seeding's figures."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from tickets.models import Group

    t0 = time.monotonic()
    writer = Writer()
    rng = writer.rng
    users = get_user_model().objects
    admin = users.create_superuser("admin", "admin@example.com", "bench")
    agent = users.create_user("agent", "agent@example.com", "bench")
    others = [users.create_user(f"agent{i}", f"agent{i}@example.com", "bench") for i in range(10)]
    groups = {name: Group.objects.create(name=name) for name in GROUPS}
    groups[AGENT_GROUP].members.add(agent)
    for i, other in enumerate(others):
        groups[GROUPS[i % len(GROUPS)]].members.add(other)
    group_ids = [g.pk for g in groups.values()]
    assignees = [u.pk for u in others]
    now = dt.datetime.now(dt.UTC)
    contacts = max(1, tickets * 2 // 5)
    rare_tickets = set(rng.sample(range(tickets), min(tickets, 12)))

    with connection.cursor() as cursor:
        definitions = {}
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE indexname = ANY(%s)", [list(FTS_INDEXES)])
        for name, definition in cursor.fetchall():
            definitions[name] = definition
            cursor.execute(f"DROP INDEX {name}")
        cursor.execute("SELECT 1 FROM pg_trigger WHERE tgname = %s", [MESSAGE_TRIGGER])
        documents = cursor.fetchone() is not None
        if documents:  # the per-ticket message documents (migration 0008) are built once, after the COPY
            cursor.execute(f"ALTER TABLE tickets_comment DISABLE TRIGGER {MESSAGE_TRIGGER}")
        cursor.execute("SELECT 1 FROM pg_trigger WHERE tgname = %s", [TICKET_TRIGGER])
        ticket_columns = cursor.fetchone() is not None
        if ticket_columns:
            cursor.execute(f"ALTER TABLE tickets_ticket DISABLE TRIGGER {TICKET_TRIGGER}")

        def contact_rows():
            for i in range(contacts):
                name, email, phone = writer.person()
                created = now - dt.timedelta(days=rng.randint(30, 900))
                yield (
                    i + 1,
                    name,
                    email if rng.random() < 0.8 else "",
                    phone,
                    f"49{i + 1:012d}",
                    False,
                    "",
                    "",
                    "",
                    created,
                    created,
                )

        with transaction.atomic():
            _copy_rows(
                cursor.cursor,
                "tickets_contact",
                ("id", "name", "email", "phone", "wa_id", "whatsapp_opt_in", "whatsapp_opt_in_source", "locale", "locale_source", "created_at", "updated_at"),
                contact_rows(),
            )  # fmt: skip
        progress(f"    {contacts} contacts in {time.monotonic() - t0:.0f} s")

        statuses = ("new", "open", "open", "pending", "hold", "solved", "solved", "closed")
        comment_id = 0
        for start in range(0, tickets, CHUNK):
            ticket_rows, comment_rows = [], []
            for i in range(start, min(tickets, start + CHUNK)):
                lang = "de" if rng.random() < GERMAN_SHARE else "en"
                created = now - dt.timedelta(minutes=rng.randint(10, 60 * 24 * 720))
                routed = rng.random() >= UNROUTED_SHARE
                requester = rng.randint(1, contacts)
                n_messages = rng.randint(1, 2 * MESSAGES_PER_TICKET - 1)
                subject = writer.text(lang, rng.randint(3, 8))
                if i in rare_tickets:
                    subject += " " + RARE[0]
                at = created
                for m in range(n_messages):
                    comment_id += 1
                    customer = m % 2 == 0
                    body = writer.text(lang, rng.randint(6, 40))
                    if customer and rng.random() < 0.05:
                        body += f" Meine Nummer: +49 1{rng.randint(50, 79)} {rng.randint(1000000, 9999999)}"
                    if i in rare_tickets and m == 0:
                        body += f" {RARE[1]}"
                    comment_rows.append(
                        (comment_id, i + 1, "end_user" if customer else "agent", body, customer or rng.random() < 0.8,
                         "whatsapp", at, False, "", "{}", "", "", "",
                         None if customer else rng.choice(assignees), requester if customer else None)
                    )  # fmt: skip
                    at += dt.timedelta(minutes=rng.randint(1, 600))
                ticket_rows.append(
                    (i + 1, subject, rng.choice(statuses), "whatsapp", created, at, requester,
                     rng.choice(group_ids) if routed else None, rng.choice(assignees) if rng.random() < 0.6 else None)
                )  # fmt: skip
            with transaction.atomic():
                _copy_rows(
                    cursor.cursor,
                    "tickets_ticket",
                    ("id", "subject", "status", "via", "created_at", "updated_at", "requester_id", "group_id",
                     "assignee_id"),
                    iter(ticket_rows),
                )  # fmt: skip
                _copy_rows(
                    cursor.cursor,
                    "tickets_comment",
                    ("id", "ticket_id", "author_role", "body", "public", "via", "created_at", "forwarded",
                     "message_type", "channel_data", "delivery_error_code", "delivery_error_title",
                     "delivery_error_detail", "author_user_id", "author_contact_id"),
                    iter(comment_rows),
                )  # fmt: skip
            progress(f"    {min(tickets, start + CHUNK)} tickets, {comment_id} messages, {time.monotonic() - t0:.0f} s")
        copied = time.monotonic() - t0
        progress(f"    copied in {copied:.0f} s; building the full-text indexes ...")
        cursor.execute("SET maintenance_work_mem = '256MB'")
        document = (
            "strip(to_tsvector('german', string_agg(body, ' ')) || to_tsvector('english', string_agg(body, ' ')))"
        )
        if ticket_columns:  # one document per ticket: subject, requester's name and e-mail, every message
            text = "concat_ws(' ', t.subject, c.name, c.email, m.bodies)"
            cursor.execute(
                "INSERT INTO tickets_search_messages (ticket_id, document, group_id, assignee_id, status, updated_at)"
                f" SELECT t.id, strip(to_tsvector('german', {text}) || to_tsvector('english', {text})), t.group_id,"
                " t.assignee_id, t.status, t.updated_at FROM tickets_ticket t"
                " LEFT JOIN tickets_contact c ON c.id = t.requester_id"
                " LEFT JOIN (SELECT ticket_id, string_agg(body, ' ') AS bodies FROM tickets_comment GROUP BY ticket_id)"
                " m ON m.ticket_id = t.id"
            )
            cursor.execute("SELECT to_regclass('tickets_search_heads') IS NOT NULL")
            if cursor.fetchone()[0]:  # the weighted subject and requester the rank reads (migration 0015)
                cursor.execute(
                    f"INSERT INTO tickets_search_heads (ticket_id, head) SELECT t.id, {HEAD_LEXEMES}"
                    " FROM tickets_ticket t LEFT JOIN tickets_contact c ON c.id = t.requester_id"
                )
            cursor.execute(f"ALTER TABLE tickets_ticket ENABLE TRIGGER {TICKET_TRIGGER}")
        elif documents:
            cursor.execute(
                f"INSERT INTO tickets_search_messages (ticket_id, document) SELECT ticket_id, {document}"
                " FROM tickets_comment GROUP BY ticket_id"
            )
        if documents:
            cursor.execute(f"ALTER TABLE tickets_comment ENABLE TRIGGER {MESSAGE_TRIGGER}")
        for definition in definitions.values():
            cursor.execute(definition)
        for table in ("tickets_contact", "tickets_ticket", "tickets_comment"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT coalesce(max(id), 1) FROM {table}))"
            )
    indexed = time.monotonic() - t0 - copied
    return {
        "tickets": tickets,
        "comments": comment_id,
        "contacts": contacts,
        "copy_s": copied,
        "index_s": indexed,
        "admin": admin.username,
        "agent": agent.username,
    }


def probes() -> dict[str, str]:
    """The queries, taken from the seeded data so each has the hits its label promises."""
    from tickets.models import Ticket

    # A requester of a ticket in the agent's group, so both users have something to find.
    in_group = Ticket.objects.filter(group__name=AGENT_GROUP).exclude(requester__email="").order_by("id")
    contact = in_group.select_related("requester")[1234 % in_group.count()].requester
    digits = "".join(ch for ch in contact.phone if ch.isdigit())
    return {
        "common word": "Bestellung",
        "rare word": RARE[0],
        "two words": "Lieferung beschädigt",
        "phone fragment": digits[-7:],
        "e-mail": contact.email,
        "name": contact.name,
        "stemming, umlaut": "Rückerstattungen",
        "no hit": "Zylinderkopfdichtung",
    }
