"""Full-text search over tickets: subject, requester (name, phone, e-mail) and every message body.

PostgreSQL answers from one table, `tickets_search_messages` (migrations 0008, 0012): a row per ticket whose
document holds the lexemes of the subject, the requester's name and e-mail and every message, under German *and*
English stemming ("Rechnungen" finds "Rechnung", "invoices" finds "invoice"), GIN-indexed, with copies of the
ticket's group, assignee, status and update time. Database triggers keep it in step whichever code writes a ticket,
a requester or a message. So the words of a query may be spread over a ticket's subject and messages, as in the
SQLite fallback, and a search never looks a ticket up to learn whether the user may see it: an agent's visibility and
the list's view are conditions on the copied columns (`_list_conditions`), the recency order too. Phone fragments
are matched by digits against trigram indexes of the requesters (migration 0009).

A search answers at most MAX_RESULTS tickets, the most recently updated matches, and ranks only those, in the same
query, from the subject's and requester's weighted lexemes stored in a table of their own (migration 0015; whether a
message matched adds a fixed amount). How they are found depends on how common the words are (`newest_matches`):
for a frequent word the documents are read newest first until MAX_RESULTS matched, a rare one is collected from the
GIN index. docs/BENCHMARKS.md (full-text search at 100,000 tickets) has the figures.

The expressions below must stay identical to the ones in the migrations, or PostgreSQL stops using the indexes
(tests/tickets/test_search.py and test_search_plans.py check the plans).

SQLite, the embedded default, has no such index: it falls back to case-insensitive substring matches.
"""

import json
import re

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.expressions import Col, RawSQL, ResolvedOuterRef
from django.db.models.functions import Replace
from django.db.models.lookups import Lookup
from django.db.models.sql import Query
from django.db.models.sql.where import AND, WhereNode

from tickets.models import Comment, Contact, Ticket

CONFIGS = ("german", "english")
# Phone numbers are matched by digits ("+49 170 123" finds "+491701234567"); shorter runs would match too much.
MIN_PHONE_DIGITS = 4
PHONE_SEPARATORS = (" ", "+", "-", "(", ")", "/", ".")
MAX_QUERY_LENGTH = 200
MAX_WORDS = 10
# The rank of a match found by the messages only, by the requester's phone, by the ticket's id: below a match in the
# requester's name (ts_rank of weight B, ~0.2-0.4), as a requester match, first.
MESSAGE_MATCH = 0.1
REQUESTER_MATCH = 0.3
ID_MATCH = 10.0
# A search answers at most this many tickets, the most recently updated matches, ranked (Zendesk's search stops at
# 1,000 too). One more than the list's count cap, so a longer result still reads "1,000+".
MAX_RESULTS = 1001
# One row per ticket: the lexemes of its messages and copies of the ticket columns below (migrations 0008, 0010).
MESSAGE_DOCUMENTS = "tickets_search_messages"
# One row per ticket: the weighted lexemes of its subject (A) and requester (B), which the rank reads (migration 0015).
HEADS = "tickets_search_heads"
COPIED_COLUMNS = frozenset({"group_id", "assignee_id", "status", "updated_at"})
# Read the documents newest first (checking each, ~2 us) when the planner expects MAX_RESULTS matches of the list
# within this many; else collect the matches from the GIN index (~5 us per matching document). The planner expects
# 2.5-5 x too many matches for an agent who sees a fifth of the tickets (it cannot know which groups those are),
# hence the margin. Measured at 100k tickets: docs/BENCHMARKS.md (full-text search).
WALK_MAX_ROWS = 8_000


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


CONTACT_FIELDS = ("name", "email")


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
    if (by_phone := _phone_contacts(q)) is None:
        return by_words
    return by_words.union(by_phone)


def _phone_contacts(q: str) -> QuerySet[Contact] | None:
    """For a phone-like query, the contacts whose phone number or WhatsApp id contains its digits. On PostgreSQL
    trigram indexes answer these substrings (migration 0009); SQLite scans the contacts."""
    if not (digits := _digits(q)):
        return None
    return _contacts().filter(Q(phone_digits__contains=digits) | Q(wa_id__contains=digits)).order_by().values("pk")


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


def _copied_columns_only(node, alias: str) -> bool:
    """Whether a condition of the list reads nothing but the ticket columns the documents hold a copy of: plain
    values, or a subquery of its own (an agent's groups), compared with those columns. Anything else stays with the
    list (answered by the tickets themselves)."""
    if isinstance(node, WhereNode):
        return bool(node.children) and all(_copied_columns_only(child, alias) for child in node.children)
    if not isinstance(node, Lookup):
        return False
    lhs, rhs = node.lhs, node.rhs
    if not (isinstance(lhs, Col) and lhs.alias == alias and lhs.target.column in COPIED_COLUMNS):
        return False
    if isinstance(rhs, Query):
        return _self_contained(rhs)
    if hasattr(rhs, "resolve_expression"):
        return False
    values = rhs if isinstance(rhs, list | tuple | set) else [rhs]
    return not any(hasattr(value, "resolve_expression") for value in values)


def _table_alias(queryset: QuerySet[Ticket]) -> str:
    """The alias of the ticket table in `queryset`'s SQL (its name, until a filter has set up the query)."""
    return queryset.query.base_table or Ticket._meta.db_table


def _self_contained(subquery: Query) -> bool:
    """Whether `subquery` reads only its own tables (no reference to the list's row, no nested subquery)."""
    own = set(subquery.alias_map)
    pending = [subquery.where]
    while pending:
        node = pending.pop()
        if isinstance(node, Query | OuterRef | ResolvedOuterRef) or (isinstance(node, Col) and node.alias not in own):
            return False
        if isinstance(node, WhereNode):
            pending.extend(node.children)
        elif hasattr(node, "get_source_expressions"):
            pending.extend(expression for expression in node.get_source_expressions() if expression is not None)
    return True


def _list_conditions(queryset: QuerySet[Ticket]) -> tuple[list[tuple[str, list]], bool]:
    """The conditions of `queryset` that the documents answer from their copies of the ticket's columns, as SQL on
    the ticket's table alias, and whether they are all of its conditions (then the list itself need not be asked).
    Each is implied by the list, so adding them to the documents' query never changes what is found."""
    query_ = queryset.query
    alias = _table_alias(queryset)
    where = query_.where
    children = where.children if where.connector == AND and not where.negated else [where]
    compiler = query_.get_compiler(connection=connection)
    conditions, complete = [], True
    for child in children:
        if _copied_columns_only(child, alias):
            sql, params = compiler.compile(child)
            conditions.append((sql, list(params)))
        else:
            complete = False
    joined = any(count for name, count in query_.alias_refcount.items() if name != alias)
    return conditions, complete and not joined and not query_.distinct


def newest_matches_sql(queryset: QuerySet[Ticket], q: str) -> tuple[str, list]:
    """PostgreSQL: the SQL of the ids of the MAX_RESULTS most recently updated tickets of `queryset` matching `q`,
    newest first (raises EmptyResultSet for a list empty by construction).

    One query on the documents, one row per ticket (migration 0010): a match in the document (subject, requester's
    name and e-mail, every message; GIN index), in the requester's phone (trigram indexes, an array of ticket ids),
    or the ticket's id; the list's conditions on the ticket columns the documents copy (group, assignee, status: an
    agent's visibility, the view); the newest MAX_RESULTS by the copied update time. Two plans, one answer, chosen
    from the planner's estimates (`_walks`): read the documents newest first along the recency index until
    MAX_RESULTS matched (a word in a third of the tickets: ~4,000 documents for an admin), or collect the matches from
    the GIN index and sort them (a rarer word: reading newest first would pass every document looking for it). Either
    way no ticket is read. A condition the documents cannot answer (a tag, a priority) is checked on the list itself,
    for the candidates only."""
    sq_sql, sq_params = _compiled(query(q), connection)
    params = list(sq_params)
    # The documents take the list's own table alias, so the list's conditions read their copied columns.
    alias = connection.ops.quote_name(_table_alias(queryset))
    match = [f"{alias}.document @@ ({sq_sql})"]
    if (by_phone := _phone_tickets_sql(q)) is not None:
        tickets_sql, tickets_params = by_phone
        match.append(f"{alias}.ticket_id = ANY(ARRAY({tickets_sql}))")
        params.extend(tickets_params)
    if (ticket_id := _ticket_id(q)) is not None:
        match.append(f"{alias}.ticket_id = %s")
        params.append(ticket_id)
    where = ["(" + " OR ".join(match) + ")"]
    conditions, complete = _list_conditions(queryset)
    for sql, condition_params in conditions:
        where.append(f"({sql})")
        params.extend(condition_params)
    if not complete:
        listed_sql, listed_params = queryset.order_by().values("pk").query.sql_with_params()
        where.append(f"{alias}.ticket_id IN ({listed_sql})")
        params.extend(listed_params)
    where_sql = " AND ".join(where)
    if _walks(alias, where_sql, params):
        sql = (
            f"SELECT {alias}.ticket_id FROM {MESSAGE_DOCUMENTS} AS {alias} WHERE {where_sql}"  # noqa: S608 - constants and compiled SQL
            f" ORDER BY {alias}.updated_at DESC, {alias}.ticket_id DESC LIMIT {MAX_RESULTS:d}"
        )
        return sql, params
    return _collected(alias, where_sql), params


def _walks(alias: str, where_sql: str, params: list) -> bool:
    """Whether the MAX_RESULTS newest matches are expected within WALK_MAX_ROWS documents along the recency index:
    documents / expected matches of the list x MAX_RESULTS, matches taken as spread evenly over time. The planner's
    estimates (one EXPLAIN, no execution, ~1 ms)."""
    documents = f"SELECT ticket_id FROM {MESSAGE_DOCUMENTS}"  # noqa: S608 - a constant
    with connection.cursor() as cursor:
        cursor.execute(
            f"EXPLAIN (FORMAT JSON) ({documents} AS {alias} WHERE {where_sql}) UNION ALL ({documents})", params
        )
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    matching, documents_ = (float(child["Plan Rows"]) for child in plan[0]["Plan"]["Plans"])
    return MAX_RESULTS * documents_ / max(matching, 1.0) <= WALK_MAX_ROWS


def _collected(alias: str, where_sql: str) -> str:
    """The matches collected from the indexes, newest first: sorted by an expression, so that PostgreSQL does not walk
    the recency index unbounded instead."""
    return (
        f"SELECT {alias}.ticket_id FROM {MESSAGE_DOCUMENTS} AS {alias} WHERE {where_sql}"  # noqa: S608 - constants and compiled SQL
        f" ORDER BY {alias}.updated_at + interval '0 s' DESC, {alias}.ticket_id DESC LIMIT {MAX_RESULTS:d}"
    )


def ranked_matches(queryset: QuerySet[Ticket], q: str) -> list[tuple[int, float]]:
    """PostgreSQL: the MAX_RESULTS most recently updated tickets of `queryset` matching `q`, newest first, each with
    its rank (higher is better), in one query.

    The rank reads the stored, weighted lexemes of the subject (A) and the requester (B) (HEADS, migration 0015): a match
    there ranks by ts_rank; a match by the requester's phone as a requester match; one found by its messages only
    adds a fixed MESSAGE_MATCH (the documents hold no positions to rank from); the ticket's own id ranks first. Only
    the newest matches are ranked: the subquery's LIMIT comes first."""
    try:
        sql, params = newest_matches_sql(queryset, q)
    except EmptyResultSet:  # a list that is empty by construction (queryset.none())
        return []
    sq_sql, sq_params = _compiled(query(q), connection)
    rank_params = [*sq_params, *sq_params]
    by_phone = "false"
    if (phone := _phone_tickets_sql(q)) is not None:
        by_phone = f"m.ticket_id = ANY(ARRAY({phone[0]}))"
        rank_params.extend(phone[1])
    rank_params.append(_ticket_id(q) or 0)
    rank = (
        f"ts_rank(coalesce(h.head, ''::tsvector), ({sq_sql}))"
        f" + CASE WHEN h.head @@ ({sq_sql}) THEN 0 WHEN {by_phone} THEN {REQUESTER_MATCH} ELSE {MESSAGE_MATCH} END"
        f" + CASE WHEN m.ticket_id = %s THEN {ID_MATCH} ELSE 0 END"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT m.ticket_id, {rank} FROM ({sql}) AS m"  # noqa: S608 - constants and compiled SQL
            # One index lookup per match (LIMIT keeps the planner from hashing the whole table instead).
            f" LEFT JOIN LATERAL (SELECT head FROM {HEADS} WHERE ticket_id = m.ticket_id LIMIT 1) AS h ON true",
            [*rank_params, *params],
        )
        return [(ticket_id, float(rank_)) for ticket_id, rank_ in cursor.fetchall()]


def newest_matches(queryset: QuerySet[Ticket], q: str) -> list[int]:
    """PostgreSQL: the ids of the MAX_RESULTS most recently updated tickets of `queryset` matching `q`, newest first."""
    return [ticket_id for ticket_id, _rank in ranked_matches(queryset, q)]


def _phone_tickets_sql(q: str) -> tuple[str, list] | None:
    """For a phone-like query, the SQL of the ids of the tickets whose requester's phone holds its digits."""
    if (by_phone := _phone_contacts(q)) is None:
        return None
    return Ticket.objects.filter(requester_id__in=_array(by_phone)).values("pk").query.sql_with_params()


def _array(ids: QuerySet) -> RawSQL:
    """`ids` as an array, unnested: a subquery PostgreSQL plans on its own, with the row estimate of an array."""
    sql, params = ids.query.sql_with_params()
    return RawSQL(f"SELECT unnest(ARRAY({sql}))", params)  # noqa: S611 - SQL and parameters from the ORM


def _postgres_search(queryset: QuerySet[Ticket], q: str) -> QuerySet[Ticket]:
    # The matches and their ranks are read once, here, so the list's count and its page neither search nor rank again.
    ranked = ranked_matches(queryset, q)
    if not ranked:
        return queryset.none().annotate(search_rank=Value(0.0, output_field=FloatField()))
    ticket_ids, ranks = [row[0] for row in ranked], [row[1] for row in ranked]
    return queryset.filter(AmongIds(ticket_ids)).annotate(search_rank=RankOf(ticket_ids, ranks))


class AmongIds(Func):
    """`pk IN (...)` as one array parameter: the same plan, compiled at once instead of one placeholder per id (~13 ms
    of Python per query for 1,001 ids, paid by the page and again by its count)."""

    output_field = BooleanField()

    def __init__(self, ticket_ids: list[int]):
        super().__init__(F("pk"))
        self.ticket_ids = ticket_ids

    def as_sql(self, compiler, connection_, **extra):
        pk_sql, pk_params = compiler.compile(self.source_expressions[0])
        return f"{pk_sql} = ANY(%s::bigint[])", [*pk_params, self.ticket_ids]


class RankOf(Func):
    """The rank of each row's ticket, looked up in the ranks read with the matches: a JSON object by ticket id, whose
    keys PostgreSQL keeps sorted (a binary search per row; an array position cost ~3 ms over 1,001 rows)."""

    output_field = FloatField()

    def __init__(self, ticket_ids: list[int], ranks: list[float]):
        super().__init__(F("pk"))
        self.ranks = json.dumps(dict(zip(map(str, ticket_ids), ranks, strict=True)))

    def as_sql(self, compiler, connection_, **extra):
        pk_sql, pk_params = compiler.compile(self.source_expressions[0])
        return f"((%s::jsonb ->> ({pk_sql})::text)::float8)", [self.ranks, *pk_params]


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
