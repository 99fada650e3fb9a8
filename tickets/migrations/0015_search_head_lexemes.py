"""The subject's and the requester's lexemes, weighted, beside each search document (PostgreSQL only).

Ranking a search parsed every matching ticket's subject and requester again, in two languages, for the up to 1,001
newest matches (~20 us a ticket, ~40-70 ms for a common word at 100k tickets), and the list page paid it twice.
`tickets_search_messages.head` now holds them once: the subject under weight A, the requester's name and e-mail
under weight B, German and English stemming, positions kept (ts_rank reads them). The rank of a match is ts_rank of
this stored vector (tickets/search.py), computed for the newest matches only.

The rebuild function of 0012 writes it: a ticket's insert, a new subject or requester, and a renamed requester all
rebuild, so no new trigger is needed. It is set in a statement of its own, so a document past PostgreSQL's tsvector
limit (kept as it was) still gets its head. It stays in the row (storage MAIN) rather than out of line, where every
ranked match would cost a TOAST read.
"""

from django.db import migrations

DOCUMENT = "strip(to_tsvector('german', {text}) || to_tsvector('english', {text}))"
BOTH = "to_tsvector('german', {text}) || to_tsvector('english', {text})"
HEAD = (
    f"setweight({BOTH.format(text='coalesce(t.subject, {empty})')}, 'A')"
    f" || setweight({BOTH.format(text='concat_ws({space}, c.name, c.email)')}, 'B')"
).format(empty="''", space="' '")
# The document's text, as in 0012: subject, the requester's name and e-mail, then every message.
TEXT = "concat_ws(' ', t.subject, c.name, c.email)"


def rebuild(head: bool) -> str:
    head_update = f"""
    UPDATE tickets_search_messages s SET head = {HEAD}
    FROM tickets_ticket t LEFT JOIN tickets_contact c ON c.id = t.requester_id
    WHERE t.id = ticket AND s.ticket_id = t.id;"""
    return f"""
CREATE OR REPLACE FUNCTION tickets_search_messages_rebuild(ticket bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    text_ text;
BEGIN
    SELECT concat_ws(' ', {TEXT}, string_agg(m.body, ' ')) INTO text_
    FROM tickets_ticket t
    LEFT JOIN tickets_contact c ON c.id = t.requester_id
    LEFT JOIN tickets_comment m ON m.ticket_id = t.id
    WHERE t.id = ticket
    GROUP BY t.id, c.id;
    BEGIN
        UPDATE tickets_search_messages SET document = {DOCUMENT.format(text="coalesce(text_, '')")}
        WHERE ticket_id = ticket;
    EXCEPTION WHEN program_limit_exceeded THEN
        RAISE WARNING 'search document of ticket % not rebuilt: %', ticket, SQLERRM;
    END;{head_update if head else ""}
END
$$;
"""


CREATE = f"""
ALTER TABLE tickets_search_messages ADD COLUMN head tsvector NOT NULL DEFAULT ''::tsvector;
ALTER TABLE tickets_search_messages ALTER COLUMN head SET STORAGE MAIN;
UPDATE tickets_search_messages s SET head = {HEAD}
FROM tickets_ticket t LEFT JOIN tickets_contact c ON c.id = t.requester_id
WHERE s.ticket_id = t.id;
{rebuild(head=True)}
"""  # noqa: S608 - constant text

DROP = f"""
{rebuild(head=False)}
ALTER TABLE tickets_search_messages DROP COLUMN head;
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(CREATE)  # no parameters: the %s of RAISE stay literal


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0014_custom_fields")]

    operations = [migrations.RunPython(create, drop)]
