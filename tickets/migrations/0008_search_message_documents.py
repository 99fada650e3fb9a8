"""One full-text document per ticket over all its messages, kept in step by triggers (PostgreSQL only).

Searching every message through the per-message GIN index of 0005 visits one heap row per matching message: a
common word matched 118,000 of 500,000 messages and cost ~270 ms before any ticket was looked at. The messages of a
ticket are now searched as one document: `tickets_search_messages` holds, per ticket, the lexemes of every message
body under German and English stemming (positions stripped: message matches are not ranked by position). Its rows
are small (the document is stored out of line), so a search reads one index and a few hundred heap pages.

Triggers on tickets_comment keep it in step whichever code writes a message: an insert merges the new message's
lexemes in, an update of the body or the ticket and a delete rebuild the ticket's document from its messages, a
TRUNCATE empties it. A document that would outgrow PostgreSQL's tsvector limit keeps its previous lexemes rather than
failing the message's write. The per-message index of 0005 is no longer read by the search and is dropped.

SQLite has none of this: it searches by substring (tickets/search.py).
"""

from django.db import migrations

DOCUMENT = "strip(to_tsvector('german', {text}) || to_tsvector('english', {text}))"

CREATE = f"""
CREATE TABLE tickets_search_messages (
    ticket_id bigint PRIMARY KEY,
    document tsvector NOT NULL
) WITH (toast_tuple_target = 128);
ALTER TABLE tickets_search_messages ALTER COLUMN document SET STORAGE EXTERNAL;

CREATE FUNCTION tickets_search_messages_rebuild(ticket bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    text_ text;
BEGIN
    SELECT string_agg(coalesce(body, ''), ' ') INTO text_ FROM tickets_comment WHERE ticket_id = ticket;
    IF text_ IS NULL THEN
        DELETE FROM tickets_search_messages WHERE ticket_id = ticket;
        RETURN;
    END IF;
    BEGIN
        INSERT INTO tickets_search_messages (ticket_id, document)
        VALUES (ticket, {DOCUMENT.format(text="text_")})
        ON CONFLICT (ticket_id) DO UPDATE SET document = excluded.document;
    EXCEPTION WHEN program_limit_exceeded THEN
        RAISE WARNING 'search document of ticket % not rebuilt: %', ticket, SQLERRM;
    END;
END
$$;

CREATE FUNCTION tickets_search_messages_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        BEGIN
            INSERT INTO tickets_search_messages AS s (ticket_id, document)
            VALUES (NEW.ticket_id, {DOCUMENT.format(text="coalesce(NEW.body, '')")})
            ON CONFLICT (ticket_id) DO UPDATE SET document = strip(s.document || excluded.document);
        EXCEPTION WHEN program_limit_exceeded THEN
            RAISE WARNING 'search document of ticket % kept as it was: %', NEW.ticket_id, SQLERRM;
        END;
        RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        PERFORM tickets_search_messages_rebuild(NEW.ticket_id);
        IF NEW.ticket_id IS DISTINCT FROM OLD.ticket_id THEN
            PERFORM tickets_search_messages_rebuild(OLD.ticket_id);
        END IF;
        RETURN NULL;
    END IF;
    PERFORM tickets_search_messages_rebuild(OLD.ticket_id);
    RETURN NULL;
END
$$;

CREATE FUNCTION tickets_search_messages_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM tickets_search_messages;
    RETURN NULL;
END
$$;

CREATE TRIGGER tickets_search_messages_insert AFTER INSERT ON tickets_comment
    FOR EACH ROW EXECUTE FUNCTION tickets_search_messages_row();
CREATE TRIGGER tickets_search_messages_update AFTER UPDATE OF body, ticket_id ON tickets_comment
    FOR EACH ROW WHEN (OLD.body IS DISTINCT FROM NEW.body OR OLD.ticket_id IS DISTINCT FROM NEW.ticket_id)
    EXECUTE FUNCTION tickets_search_messages_row();
CREATE TRIGGER tickets_search_messages_delete AFTER DELETE ON tickets_comment
    FOR EACH ROW EXECUTE FUNCTION tickets_search_messages_row();
CREATE TRIGGER tickets_search_messages_truncate AFTER TRUNCATE ON tickets_comment
    FOR EACH STATEMENT EXECUTE FUNCTION tickets_search_messages_truncate();

INSERT INTO tickets_search_messages (ticket_id, document)
SELECT ticket_id, {DOCUMENT.format(text="string_agg(coalesce(body, ''), ' ')")}
FROM tickets_comment GROUP BY ticket_id;

CREATE INDEX tickets_search_messages_fts ON tickets_search_messages USING gin (document);
DROP INDEX IF EXISTS comment_body_fts;
"""  # noqa: S608 - constant text

DROP = """
CREATE INDEX IF NOT EXISTS comment_body_fts ON tickets_comment USING gin
    ((to_tsvector('german'::regconfig, COALESCE(body, ''::text)) || to_tsvector('english'::regconfig, COALESCE(body, ''::text))));
DROP TRIGGER IF EXISTS tickets_search_messages_insert ON tickets_comment;
DROP TRIGGER IF EXISTS tickets_search_messages_update ON tickets_comment;
DROP TRIGGER IF EXISTS tickets_search_messages_delete ON tickets_comment;
DROP TRIGGER IF EXISTS tickets_search_messages_truncate ON tickets_comment;
DROP FUNCTION IF EXISTS tickets_search_messages_row();
DROP FUNCTION IF EXISTS tickets_search_messages_truncate();
DROP FUNCTION IF EXISTS tickets_search_messages_rebuild(bigint);
DROP TABLE IF EXISTS tickets_search_messages;
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
    dependencies = [("tickets", "0007_ticket_read_marks")]

    operations = [migrations.RunPython(create, drop)]
