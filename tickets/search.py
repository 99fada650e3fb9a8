"""Full-text search over tickets: subject, requester (name, phone, e-mail) and every message body.

PostgreSQL answers from GIN indexes. Subjects and requesters are indexed by expression (migration 0005), so their
writes cost only the index maintenance PostgreSQL does anyway. A ticket's messages are searched as one document
(`tickets_search_messages`, migration 0007), kept in step by database triggers whichever code writes a message: a
common word matched 118,000 of 500,000 messages, and visiting them one by one cost more than the whole search may.
So the words of a query may be spread over a ticket's messages, as in the SQLite fallback. Each text is indexed
under German *and* English stemming ("Rechnungen" finds "Rechnung", "invoices" finds "invoice").

A search answers at most MAX_RESULTS tickets, the most recently updated matches, and ranks only those (subject,
requester, whether a message matched). docs/BENCHMARKS.md (full-text search at 100,000 tickets) has the figures.

The expressions below must stay identical to the ones in the migrations, or PostgreSQL stops using the indexes
(tests/tickets/test_search.py checks the plan).

SQLite, the embedded default, has no such index: it falls back to case-insensitive substring matches.
"""

import re

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import (
    Case,
    Exists,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Replace

from tickets.models import Comment, Contact, Ticket

CONFIGS = ("german", "english")
# Phone numbers are matched by digits ("+49 170 123" finds "+491701234567"); shorter runs would match too much.
MIN_PHONE_DIGITS = 4
PHONE_SEPARATORS = (" ", "+", "-", "(", ")", "/", ".")
MAX_QUERY_LENGTH = 200
MAX_WORDS = 10
# What a match in the messages adds to the rank: about a subject match's ts_rank.
MESSAGE_MATCH = 0.1
# A search answers at most this many tickets, the most recently updated matches, ranked (Zendesk's search stops at
# 1,000 too). One more than the list's count cap, so a longer result still reads "1,000+".
MAX_RESULTS = 1001
MESSAGE_DOCUMENTS = "tickets_search_messages"


def vector(*fields: str) -> SearchVector:
    """The indexed text of `fields` under every configuration, as one tsvector."""
    combined = None
    for config in CONFIGS:
        part = SearchVector(*fields, config=config)
        combined = part if combined is None else combined + part
    return combined


def query(q: str) -> SearchQuery:
    """Every word of `q` must occur, stemmed in either language, or begin a word ("ref" finds "refund"). The text
    is never query syntax: the prefix form is built from word characters only, each quoted."""
    combined = None
    for config in CONFIGS:
        part = SearchQuery(q, config=config, search_type="plain")
        combined = part if combined is None else combined | part
    words = re.findall(r"\w+", q)[:MAX_WORDS]
    if words:
        prefixes = " & ".join(f"'{word}':*" for word in words)
        combined |= SearchQuery(prefixes, config=CONFIGS[0], search_type="raw")
    return combined


TICKET_FIELDS = ("subject",)
CONTACT_FIELDS = ("name", "email")
COMMENT_FIELDS = ("body",)


def _digits(q: str) -> str:
    digits = re.sub(r"\D", "", q)
    return digits if len(digits) >= MIN_PHONE_DIGITS and not re.search(r"[^\d\s+()\-/.#]", q) else ""


def _ticket_id(q: str) -> int | None:
    text = q.strip().lstrip("#")
    return int(text) if text.isdigit() and len(text) <= 18 else None


def _requester_ids(q: str, search_query) -> QuerySet[Contact]:
    """Contacts matching by words (name, e-mail; indexed on PostgreSQL) or, for a phone-like query, by digits."""
    if search_query is not None:
        by_words = Contact.objects.annotate(search_vector=vector(*CONTACT_FIELDS)).filter(search_vector=search_query)
    else:
        by_words = Contact.objects.filter(Q(name__icontains=q) | Q(email__icontains=q))
    by_words = by_words.order_by().values("pk")
    if not (digits := _digits(q)):
        return by_words
    # No index helps a substring of digits; only phone-like queries pay for this scan of the contacts.
    by_phone = _contacts().filter(Q(phone_digits__contains=digits) | Q(wa_id__contains=digits)).order_by().values("pk")
    return by_words.union(by_phone)


def _phone_digits():
    """The phone number without the separators people type ("+49 170-123" -> "49170123")."""
    expression = F("phone")
    for separator in PHONE_SEPARATORS:
        expression = Replace(expression, Value(separator), Value(""))
    return expression


def _contacts():
    return Contact.objects.annotate(phone_digits=_phone_digits())


def _compiled(expression, connection_) -> tuple[str, list]:
    """SQL and parameters of a query expression, for the one subquery the ORM has no model for."""
    from django.db.models.sql import Query

    query_ = Query(Ticket)
    compiler = query_.get_compiler(connection=connection_)
    sql, params = compiler.compile(expression.resolve_expression(query_))
    return sql, list(params)


def _message_ticket_ids(sq: SearchQuery) -> RawSQL:
    """Tickets with a message matching `sq`: one index scan of the per-ticket message documents (migration 0007)
    instead of one heap row per matching message.

    Collected into an array first: as a plain subquery PostgreSQL costed a sequential scan of all documents within
    a hair of the GIN bitmap scan and often took it, at 2-4 x the time; the array's subquery is planned on its own,
    where the index wins (docs/BENCHMARKS.md, full-text search)."""
    sql, params = _compiled(sq, connection)
    return RawSQL(  # noqa: S611 - a constant and compiled SQL
        f"SELECT unnest(ARRAY(SELECT ticket_id FROM {MESSAGE_DOCUMENTS} WHERE document @@ ({sql})))",  # noqa: S608
        params,
    )


def _with_message_match(ticket_ids: list[int], sq: SearchQuery) -> list[int]:
    """Which of `ticket_ids` matched in their messages: one primary-key probe each into the message documents."""
    sql, params = _compiled(sq, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT ticket_id FROM {MESSAGE_DOCUMENTS} WHERE ticket_id = ANY(%s) AND document @@ ({sql})",  # noqa: S608 - a constant and compiled SQL
            [ticket_ids, *params],
        )
        return [row[0] for row in cursor.fetchall()]


def newest_matches(queryset: QuerySet[Ticket], q: str) -> QuerySet:
    """PostgreSQL: the ids of the MAX_RESULTS most recently updated tickets of `queryset` matching `q`, newest first.

    Only these are ranked: ranking parses each ticket's subject and requester again (~20 us a ticket), and a common
    word matches half of 100k tickets. They are sorted by an expression, not along the (updated_at, id) index: for
    a rare word PostgreSQL walked the whole index looking for matches (200 ms at 100k tickets), where collecting the
    matches first costs what the matches cost."""
    sq = query(q)
    by_subject = (
        Ticket.objects.annotate(search_vector=vector(*TICKET_FIELDS)).filter(search_vector=sq).order_by().values("pk")
    )
    by_requester = Ticket.objects.filter(requester__in=_requester_ids(q, sq)).order_by().values("pk")
    match = Q(pk__in=by_subject.union(by_requester)) | Q(pk__in=_message_ticket_ids(sq))
    if (ticket_id := _ticket_id(q)) is not None:
        match |= Q(pk=ticket_id)
    recency = Coalesce("updated_at", "created_at")
    return queryset.filter(match).order_by(recency.desc(), "-id").values_list("pk", flat=True)[:MAX_RESULTS]


def _postgres_search(queryset: QuerySet[Ticket], q: str) -> QuerySet[Ticket]:
    # The ids are read once, here, so the list's count and its page do not search again (each did, at full cost).
    ticket_ids = list(newest_matches(queryset, q))
    if not ticket_ids:
        return queryset.none().annotate(search_rank=Value(0.0, output_field=FloatField()))
    sq = query(q)
    requesters = _requester_ids(q, sq)
    in_messages = _with_message_match(ticket_ids, sq)
    requester = (
        Contact.objects.filter(pk=OuterRef("requester_id"))
        .annotate(search_vector=vector(*CONTACT_FIELDS))
        .annotate(rank=SearchRank(F("search_vector"), sq))
        .order_by()
        .values("rank")[:1]
    )
    # The subject weighs most, then the requester; a match in the messages adds a fixed MESSAGE_MATCH (the message
    # documents hold no positions to rank from). The requester is ranked only when it matched (else its rank is 0).
    return queryset.filter(pk__in=ticket_ids).annotate(
        search_rank=(
            2.0 * SearchRank(vector(*TICKET_FIELDS), sq)
            + Case(
                When(
                    requester__in=requesters, then=1.5 * Coalesce(Subquery(requester, output_field=FloatField()), 0.0)
                ),
                default=Value(0.0),
                output_field=FloatField(),
            )
            + Case(When(pk__in=in_messages, then=Value(MESSAGE_MATCH)), default=Value(0.0), output_field=FloatField())
            + Case(When(pk=_ticket_id(q) or 0, then=Value(10.0)), default=Value(0.0), output_field=FloatField())
        )
    )


def _substring_search(queryset: QuerySet[Ticket], q: str) -> QuerySet[Ticket]:
    in_requester = Q(requester__in=_requester_ids(q, None))
    # Each word somewhere in the ticket (subject, requester or a message), as the full-text search asks.
    match = Q()
    for word in q.split()[:MAX_WORDS]:
        in_messages = Exists(Comment.objects.filter(ticket=OuterRef("pk"), body__icontains=word))
        match &= Q(subject__icontains=word) | Q(requester__in=_requester_ids(word, None)) | in_messages
    match = match | Q(subject__icontains=q) | in_requester
    if (ticket_id := _ticket_id(q)) is not None:
        match |= Q(pk=ticket_id)
    return queryset.filter(match).annotate(
        search_rank=Case(
            When(pk=_ticket_id(q) or 0, then=Value(4)),
            When(subject__icontains=q, then=Value(3)),
            When(in_requester, then=Value(2)),
            default=Value(1),
            output_field=IntegerField(),
        )
    )


def search(queryset: QuerySet[Ticket], q: str) -> QuerySet[Ticket]:
    """`queryset` narrowed to the tickets matching `q`, annotated with `search_rank` (higher is better)."""
    # A NUL byte is refused by PostgreSQL and means nothing in a search.
    q = q.replace("\x00", " ").strip()[:MAX_QUERY_LENGTH]
    if connection.vendor == "postgresql":
        return _postgres_search(queryset, q)
    return _substring_search(queryset, q)
