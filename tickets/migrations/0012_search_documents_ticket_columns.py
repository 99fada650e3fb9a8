"""One search document per ticket: subject, requester and messages, with the ticket's group, assignee, status and
update time beside it (PostgreSQL only).

A search for a word found in a fifth of the tickets, by an agent who sees one group of five, read 19,000 matching
message documents and then looked each ticket up (~60,000 buffer hits) only to learn that most were another group's
or solved; the subject and requester were searched in indexes of their own and merged in. Now
`tickets_search_messages` has one row per ticket whose document holds the lexemes of the subject, the requester's
name and e-mail and every message body (German and English stemming, positions stripped), and copies of
`group_id`, `assignee_id`, `status` and `updated_at`. A search is one GIN scan (or a read newest first along the new
(updated_at, ticket_id) index) whose visibility, view and recency are answered from the same row
(tickets/search.py). The subject's own index of 0005 is no longer read and is dropped; the requester's stays (the
ranking finds the matching requesters with it).

Triggers keep the rows in step whichever code writes: a ticket's insert adds its row, an update copies the columns
and, when the subject or requester changed, rebuilds the document, a delete or TRUNCATE removes the row(s); a change of
a requester's name or e-mail rebuilds the documents of their tickets; the message triggers of 0008 merge a new
message's lexemes in or rebuild the document. A document that would outgrow PostgreSQL's tsvector limit keeps its
previous lexemes rather than failing the write.

The column names equal the ticket's on purpose: tickets/search.py applies the list's own conditions on those columns
to this table. SQLite has none of this: it searches by substring.
"""

from django.db import migrations

DOCUMENT = "strip(to_tsvector('german', {text}) || to_tsvector('english', {text}))"
COLUMNS = ("group_id", "assignee_id", "status", "updated_at")
WATCHED = (*COLUMNS, "subject", "requester_id")
CHANGED = " OR ".join(f"OLD.{column} IS DISTINCT FROM NEW.{column}" for column in WATCHED)
# The ticket's own text: subject, then the requester's name and e-mail (as the requester index of 0005 reads them).
HEAD = "concat_ws(' ', t.subject, c.name, c.email)"

CREATE = f"""
ALTER TABLE tickets_search_messages
    ADD COLUMN group_id bigint,
    ADD COLUMN assignee_id bigint,
    ADD COLUMN status varchar(10),
    ADD COLUMN updated_at timestamptz;

INSERT INTO tickets_search_messages AS s (ticket_id, document, group_id, assignee_id, status, updated_at)
SELECT t.id, {DOCUMENT.format(text=HEAD)}, t.group_id, t.assignee_id, t.status, t.updated_at
FROM tickets_ticket t LEFT JOIN tickets_contact c ON c.id = t.requester_id
ON CONFLICT (ticket_id) DO UPDATE SET document = strip(s.document || excluded.document),
    group_id = excluded.group_id, assignee_id = excluded.assignee_id, status = excluded.status,
    updated_at = excluded.updated_at;
DELETE FROM tickets_search_messages s WHERE NOT EXISTS (SELECT 1 FROM tickets_ticket t WHERE t.id = s.ticket_id);
ALTER TABLE tickets_search_messages ALTER COLUMN status SET NOT NULL, ALTER COLUMN updated_at SET NOT NULL;
CREATE INDEX tickets_search_messages_updated ON tickets_search_messages (updated_at DESC, ticket_id DESC);
DROP INDEX IF EXISTS ticket_subject_fts;

CREATE OR REPLACE FUNCTION tickets_search_messages_rebuild(ticket bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    text_ text;
BEGIN
    SELECT concat_ws(' ', {HEAD}, string_agg(m.body, ' ')) INTO text_
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
    END;
END
$$;

CREATE OR REPLACE FUNCTION tickets_search_messages_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        BEGIN
            UPDATE tickets_search_messages
            SET document = strip(document || {DOCUMENT.format(text="coalesce(NEW.body, '')")})
            WHERE ticket_id = NEW.ticket_id;
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

CREATE OR REPLACE FUNCTION tickets_search_messages_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ticket bigint;
BEGIN
    FOR ticket IN SELECT ticket_id FROM tickets_search_messages LOOP
        PERFORM tickets_search_messages_rebuild(ticket);
    END LOOP;
    RETURN NULL;
END
$$;

CREATE FUNCTION tickets_search_messages_ticket() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO tickets_search_messages (ticket_id, document, group_id, assignee_id, status, updated_at)
        VALUES (NEW.id, ''::tsvector, NEW.group_id, NEW.assignee_id, NEW.status, NEW.updated_at)
        ON CONFLICT (ticket_id) DO NOTHING;
        PERFORM tickets_search_messages_rebuild(NEW.id);
    ELSIF TG_OP = 'UPDATE' THEN
        UPDATE tickets_search_messages
        SET group_id = NEW.group_id, assignee_id = NEW.assignee_id, status = NEW.status, updated_at = NEW.updated_at
        WHERE ticket_id = NEW.id;
        IF OLD.subject IS DISTINCT FROM NEW.subject OR OLD.requester_id IS DISTINCT FROM NEW.requester_id THEN
            PERFORM tickets_search_messages_rebuild(NEW.id);
        END IF;
    ELSE
        DELETE FROM tickets_search_messages WHERE ticket_id = OLD.id;
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION tickets_search_messages_ticket_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM tickets_search_messages;
    RETURN NULL;
END
$$;

CREATE FUNCTION tickets_search_messages_contact() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ticket bigint;
BEGIN
    FOR ticket IN SELECT id FROM tickets_ticket WHERE requester_id = NEW.id LOOP
        PERFORM tickets_search_messages_rebuild(ticket);
    END LOOP;
    RETURN NULL;
END
$$;

CREATE TRIGGER tickets_search_messages_ticket_insert AFTER INSERT ON tickets_ticket
    FOR EACH ROW EXECUTE FUNCTION tickets_search_messages_ticket();
CREATE TRIGGER tickets_search_messages_ticket_update AFTER UPDATE OF {", ".join(WATCHED)} ON tickets_ticket
    FOR EACH ROW WHEN ({CHANGED}) EXECUTE FUNCTION tickets_search_messages_ticket();
CREATE TRIGGER tickets_search_messages_ticket_delete AFTER DELETE ON tickets_ticket
    FOR EACH ROW EXECUTE FUNCTION tickets_search_messages_ticket();
CREATE TRIGGER tickets_search_messages_ticket_truncate AFTER TRUNCATE ON tickets_ticket
    FOR EACH STATEMENT EXECUTE FUNCTION tickets_search_messages_ticket_truncate();
CREATE TRIGGER tickets_search_messages_contact_update AFTER UPDATE OF name, email ON tickets_contact
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.email IS DISTINCT FROM NEW.email)
    EXECUTE FUNCTION tickets_search_messages_contact();
"""  # noqa: S608 - constant text

# Back to 0008's functions: a row per ticket with messages, of the messages only, no ticket columns.
DROP = f"""
DROP TRIGGER IF EXISTS tickets_search_messages_contact_update ON tickets_contact;
DROP FUNCTION IF EXISTS tickets_search_messages_contact();
DROP TRIGGER IF EXISTS tickets_search_messages_ticket_insert ON tickets_ticket;
DROP TRIGGER IF EXISTS tickets_search_messages_ticket_update ON tickets_ticket;
DROP TRIGGER IF EXISTS tickets_search_messages_ticket_delete ON tickets_ticket;
DROP TRIGGER IF EXISTS tickets_search_messages_ticket_truncate ON tickets_ticket;
DROP FUNCTION IF EXISTS tickets_search_messages_ticket();
DROP FUNCTION IF EXISTS tickets_search_messages_ticket_truncate();
DROP INDEX IF EXISTS tickets_search_messages_updated;
DELETE FROM tickets_search_messages s WHERE NOT EXISTS (SELECT 1 FROM tickets_comment c WHERE c.ticket_id = s.ticket_id);
UPDATE tickets_search_messages s SET document = (
    SELECT {DOCUMENT.format(text="string_agg(coalesce(body, ''), ' ')")} FROM tickets_comment WHERE ticket_id = s.ticket_id
);
CREATE INDEX IF NOT EXISTS ticket_subject_fts ON tickets_ticket USING gin
    ((to_tsvector('german'::regconfig, (COALESCE(subject, ''::character varying))::text)
    || to_tsvector('english'::regconfig, (COALESCE(subject, ''::character varying))::text)));
ALTER TABLE tickets_search_messages
    DROP COLUMN group_id, DROP COLUMN assignee_id, DROP COLUMN status, DROP COLUMN updated_at;

CREATE OR REPLACE FUNCTION tickets_search_messages_rebuild(ticket bigint) RETURNS void LANGUAGE plpgsql AS $$
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

CREATE OR REPLACE FUNCTION tickets_search_messages_row() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE OR REPLACE FUNCTION tickets_search_messages_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM tickets_search_messages;
    RETURN NULL;
END
$$;
"""  # noqa: S608 - constant text


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(CREATE)  # no parameters: the %s of RAISE stay literal


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0011_agent_profile_contact_locale")]

    operations = [migrations.RunPython(create, drop)]
