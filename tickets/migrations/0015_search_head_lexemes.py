"""The subject's and the requester's lexemes, weighted, in a table of their own (PostgreSQL only).

Ranking a search parsed every matching ticket's subject and requester again, in two languages, for the up to 1,001
newest matches (~20 us a ticket, ~40-70 ms for a common word at 100k tickets), and the list page paid it twice.
`tickets_search_heads` now holds them once per ticket: the subject under weight A, the requester's name and e-mail
under weight B, German and English stemming, positions kept (ts_rank reads them). The rank of a match is ts_rank of
this stored vector (tickets/search.py), computed for the newest matches only.

A table of its own rather than a column of `tickets_search_messages`: that table's rows stay inline (PostgreSQL moves
values out of line only from rows of ~2 KB up, whatever its toast_tuple_target says), so every search that collects
its matches reads them, and a wider row there cost the collecting searches more than the rank saves.

The rebuild function of 0012 writes it: a ticket's insert, a new subject or requester, and a renamed requester all
rebuild. Triggers of its own delete a ticket's row with the ticket and empty the table when tickets are truncated.
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
    INSERT INTO tickets_search_heads AS h (ticket_id, head)
    SELECT t.id, {HEAD} FROM tickets_ticket t LEFT JOIN tickets_contact c ON c.id = t.requester_id WHERE t.id = ticket
    ON CONFLICT (ticket_id) DO UPDATE SET head = excluded.head;"""  # noqa: S608 - constant text
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
"""  # noqa: S608 - constant text


CREATE = f"""
CREATE TABLE tickets_search_heads (
    ticket_id bigint PRIMARY KEY,
    head tsvector NOT NULL
);
INSERT INTO tickets_search_heads (ticket_id, head)
SELECT t.id, {HEAD} FROM tickets_ticket t LEFT JOIN tickets_contact c ON c.id = t.requester_id;
{rebuild(head=True)}
CREATE FUNCTION tickets_search_heads_ticket() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM tickets_search_heads;
    ELSE
        DELETE FROM tickets_search_heads WHERE ticket_id = OLD.id;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER tickets_search_heads_ticket_delete AFTER DELETE ON tickets_ticket
    FOR EACH ROW EXECUTE FUNCTION tickets_search_heads_ticket();
CREATE TRIGGER tickets_search_heads_ticket_truncate AFTER TRUNCATE ON tickets_ticket
    FOR EACH STATEMENT EXECUTE FUNCTION tickets_search_heads_ticket();
"""  # noqa: S608 - constant text

DROP = f"""
DROP TRIGGER IF EXISTS tickets_search_heads_ticket_delete ON tickets_ticket;
DROP TRIGGER IF EXISTS tickets_search_heads_ticket_truncate ON tickets_ticket;
DROP FUNCTION IF EXISTS tickets_search_heads_ticket();
{rebuild(head=False)}
DROP TABLE tickets_search_heads;
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
