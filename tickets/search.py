"""Full-text search over tickets: subject, requester (name, phone, e-mail) and every message body.

PostgreSQL answers from GIN indexes. Subjects and requesters are indexed by expression (migration 0005), so their
writes cost only the index maintenance PostgreSQL does anyway. A ticket's messages are searched as one document
(`tickets_search_messages`, migration 0007), kept in step by database triggers whichever code writes a message: a
common word matched 118,000 of 500,000 messages, and visiting them one by one cost more than the whole search may.
So the words of a query may be spread over a ticket's messages, as in the SQLite fallback. Each text is indexed
under German *and* English stemming ("Rechnungen" finds "Rechnung", "invoices" finds "invoice").

A search answers at most MAX_RESULTS tickets, the most recently updated matches, and ranks only those (subject,
requester, whether a message matched). How they are found depends on how common the words are (`newest_matches`):
a frequent word is checked ticket by ticket along the recency index until MAX_RESULTS matched, a rare one is
collected from the GIN indexes. docs/BENCHMARKS.md (full-text search at 100,000 tickets) has the figures.

The expressions below must stay identical to the ones in the migrations, or PostgreSQL stops using the indexes
(tests/tickets/test_search.py checks the plan).

SQLite, the embedded default, has no such index: it falls back to case-insensitive substring matches.
"""

import json
import re

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    BooleanField,
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
from django.db.models.expressions import Expression, RawSQL
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
# Walk the tickets by recency (checking each) when the planner expects MAX_RESULTS matches within this many tickets
# along the index; else collect the matches from the GIN indexes. A walk costs ~5 us per ticket it passes, collecting
# ~10 us per match; the planner overestimates what an agent sees (by ~2.5 x at 100k), hence the margin. Measured at
# 100k tickets: docs/BENCHMARKS.md (full-text search).
WALK_MAX_ROWS = 10_000


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
    # On PostgreSQL trigram indexes answer these substrings (migration 0009); SQLite scans the contacts.
    by_phone = _contacts().filter(Q(phone_digits__contains=digits) | Q(wa_id__contains=digits)).order_by().values("pk")
    return by_words.union(by_phone)


def _phone_digits():
    """The phone number without the separators people type ("+49 170-123" -> "49170123"). Indexed as it is here
    (migration 0009): change both or neither."""
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


def _with_message_match(ticket_ids: list[int], sq: SearchQuery) -> list[int]:
    """Which of `ticket_ids` matched in their messages: one primary-key probe each into the message documents."""
    sql, params = _compiled(sq, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT ticket_id FROM {MESSAGE_DOCUMENTS} WHERE ticket_id = ANY(%s) AND document @@ ({sql})",  # noqa: S608 - a constant and compiled SQL
            [ticket_ids, *params],
        )
        return [row[0] for row in cursor.fetchall()]


class _MatchesInMessages(Expression):
    """Whether the ticket's message document matches: one primary-key probe, evaluated per ticket only when the
    subject and requester did not match already. A scalar subquery, so PostgreSQL cannot turn it into a hash of
    every matching document (which is what EXISTS became: the cost of collecting all matches, per walk)."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, ticket_id, search_query):
        super().__init__()
        self.ticket_id, self.search_query = ticket_id, search_query

    def get_source_expressions(self):
        return [self.ticket_id, self.search_query]

    def set_source_expressions(self, exprs):
        self.ticket_id, self.search_query = exprs

    def as_sql(self, compiler, connection_):
        id_sql, id_params = compiler.compile(self.ticket_id)
        query_sql, query_params = compiler.compile(self.search_query)
        sql = f"(SELECT s.document @@ ({query_sql}) FROM {MESSAGE_DOCUMENTS} s WHERE s.ticket_id = {id_sql})"  # noqa: S608 - a constant and compiled SQL
        return sql, [*query_params, *id_params]


def _estimated_rows(queryset: QuerySet[Ticket], sq: SearchQuery) -> tuple[float, float, float, float]:
    """The planner's row estimates (no execution, one EXPLAIN): documents matching `sq`, all documents, the tickets
    of `queryset`, all tickets."""
    documents_sql, documents_params = _message_documents(sq)
    try:
        base_sql, base_params = queryset.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:  # a list that is empty by construction (queryset.none()): nothing to walk
        return 0.0, 1.0, 0.0, 1.0
    parts = (
        documents_sql,
        f"SELECT ticket_id FROM {MESSAGE_DOCUMENTS}",  # noqa: S608 - a constant
        f"SELECT * FROM ({base_sql}) AS base",  # noqa: S608 - SQL from the ORM
        f"SELECT id FROM {Ticket._meta.db_table}",  # noqa: S608 - a constant
    )
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + " UNION ALL ".join(f"({part})" for part in parts),
                       [*documents_params, *base_params])  # fmt: skip
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    children = plan[0]["Plan"]["Plans"]
    return tuple(float(child["Plan Rows"]) for child in children)


def walks(queryset: QuerySet[Ticket], sq: SearchQuery) -> bool:
    """Whether the MAX_RESULTS newest matches are expected within WALK_MAX_ROWS tickets along the recency index:
    (tickets / matching tickets of the list) x MAX_RESULTS, matches taken as spread evenly over time."""
    matching_documents, documents, listed, tickets = _estimated_rows(queryset, sq)
    matching_listed = listed * matching_documents / max(documents, 1.0)
    return MAX_RESULTS * tickets / max(matching_listed, 1.0) <= WALK_MAX_ROWS


def newest_matches(queryset: QuerySet[Ticket], q: str) -> QuerySet:
    """PostgreSQL: the ids of the MAX_RESULTS most recently updated tickets of `queryset` matching `q`, newest first.

    Only these are ranked: ranking parses each ticket's subject and requester again (~20 us a ticket), and a common
    word matches half of 100k tickets. Two plans, one answer:
    - a frequent word: walk the (updated_at, id) index, newest first, and check each ticket (subject and requester
      against the hashed matches of their indexes, the messages by one probe of the ticket's document) until
      MAX_RESULTS matched; "Bestellung" in half the tickets visits ~2,000 tickets instead of collecting 50,000.
    - a rare word: collect the matches from the GIN indexes and sort them by an expression, not along the index:
      walking it for a rare word visits all 100,000 tickets looking for matches.
    The planner's own estimates decide (`walks`)."""
    sq = query(q)
    by_subject = (
        Ticket.objects.annotate(search_vector=vector(*TICKET_FIELDS)).filter(search_vector=sq).order_by().values("pk")
    )
    requesters = _requester_ids(q, sq)
    ticket_id = _ticket_id(q)
    if walks(queryset, sq):
        match = Q(pk__in=by_subject) | Q(requester__in=requesters) | Q(_MatchesInMessages(F("pk"), sq))
        if ticket_id is not None:
            match |= Q(pk=ticket_id)
        return queryset.filter(match).order_by("-updated_at", "-id").values_list("pk", flat=True)[:MAX_RESULTS]
    # One set of ids, in an array (planned on its own, estimated small: this path is for few matches), so PostgreSQL
    # looks the tickets up by primary key; an OR of id sets, or a union estimated at hundreds of rows, scanned every
    # ticket. The requesters' tickets come from an array for the same reason (the contacts' estimate was 400 for 1).
    by_requester = Ticket.objects.filter(requester_id__in=_array(requesters)).order_by().values("pk")
    parts = [by_subject.query.sql_with_params(), by_requester.query.sql_with_params(), _message_documents(sq)]
    if ticket_id is not None:
        parts.append(("SELECT %s", [ticket_id]))
    union = " UNION ".join(f"({sql})" for sql, _ in parts)
    ids = RawSQL(  # noqa: S611 - SQL and parameters from the ORM
        f"SELECT unnest(ARRAY({union}))", [param for _, params in parts for param in params]
    )
    recency = Coalesce("updated_at", "created_at")
    return queryset.filter(pk__in=ids).order_by(recency.desc(), "-id").values_list("pk", flat=True)[:MAX_RESULTS]


def _message_documents(sq: SearchQuery) -> tuple[str, list]:
    """The tickets whose message document matches `sq`, from the GIN index: SQL and parameters."""
    sql, params = _compiled(sq, connection)
    return f"SELECT ticket_id FROM {MESSAGE_DOCUMENTS} WHERE document @@ ({sql})", params  # noqa: S608 - compiled


def _array(ids: QuerySet) -> RawSQL:
    """`ids` as an array, unnested: a subquery PostgreSQL plans on its own, with the row estimate of an array."""
    sql, params = ids.query.sql_with_params()
    return RawSQL(f"SELECT unnest(ARRAY({sql}))", params)  # noqa: S611 - SQL and parameters from the ORM


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
