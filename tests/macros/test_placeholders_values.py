"""Placeholders (pure): the values of a ticket, its requester and its agent."""

from types import SimpleNamespace

import pytest

from macros import placeholders, shorthand
from macros.comment_placeholders import COMMENT_NAMES
from macros.placeholders import KNOWN, LOADED_NAMES, render, values_for

# --------------------------------------------------------------------------------------------------------------------
# values_for
# --------------------------------------------------------------------------------------------------------------------


class StandInUser(SimpleNamespace):
    """What values_for reads from a Django user: get_full_name(), first_name, email, username."""

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


def full_ticket(**overrides):
    ticket = SimpleNamespace(
        pk=4521,
        subject="Card blocked",
        status="open",
        priority="high",
        type="incident",
        via="whatsapp",
        requester=SimpleNamespace(name="Ana Maria Silva", email="ana@example.com", phone="+5511999990000"),
        assignee=StandInUser(first_name="Alice", last_name="Agent", email="alice@example.com", username="alice"),
        group=SimpleNamespace(name="Billing"),
    )
    for key, value in overrides.items():
        setattr(ticket, key, value)
    return ticket


def test_values_for_a_full_ticket():
    me = StandInUser(first_name="Bob", last_name="Boss", email="bob@example.com", username="bob")
    values = values_for(ticket=full_ticket(), current_user=me, site_url="https://desk.example.com")
    assert values == {
        "ticket.id": "4521",
        "ticket.title": "Card blocked",
        "ticket.status": "open",
        "ticket.priority": "high",
        "ticket.type": "incident",
        "ticket.via": "whatsapp",
        "ticket.url": "https://desk.example.com/tickets/4521/",
        "ticket.requester.name": "Ana Maria Silva",
        "ticket.requester.first_name": "Ana",
        "ticket.requester.email": "ana@example.com",
        "ticket.requester.phone": "+5511999990000",
        "ticket.assignee.name": "Alice Agent",
        "ticket.assignee.first_name": "Alice",
        "ticket.assignee.email": "alice@example.com",
        "ticket.group.name": "Billing",
        "current_user.name": "Bob Boss",
        "current_user.first_name": "Bob",
        "current_user.email": "bob@example.com",
        "ticket.account": "desk.example.com",
        "ticket.link": "https://desk.example.com/tickets/4521/",
        "ticket.ticket_type": "incident",
        "ticket.created_at": "",
        "ticket.updated_at": "",
        "ticket.requester.id": "",
        "ticket.requester.last_name": "Maria Silva",
        "ticket.requester.language": "",
        "ticket.assignee.id": "",
        "ticket.assignee.last_name": "Agent",
        "ticket.group.id": "",
        "current_user.id": "",
        "current_user.last_name": "Boss",
    }


def test_values_for_covers_exactly_known():
    """Except the names whose values need queries (comments, tags, CCs): the action planner loads those."""
    direct = KNOWN - COMMENT_NAMES - LOADED_NAMES
    assert set(values_for(ticket=full_ticket())) == direct
    assert set(values_for(ticket=SimpleNamespace())) == direct


def test_values_for_missing_parts_are_empty():
    ticket = full_ticket(assignee=None, group=None, priority=None)
    values = values_for(ticket=ticket)
    for name in (
        "ticket.priority",
        "ticket.assignee.name",
        "ticket.assignee.first_name",
        "ticket.assignee.email",
        "ticket.group.name",
        "current_user.name",
        "current_user.first_name",
        "current_user.email",
    ):
        assert values[name] == "", name
    assert values["ticket.url"] == "/tickets/4521/"


def test_values_for_a_bare_object():
    values = values_for(ticket=SimpleNamespace())
    assert all(value == "" for value in values.values())


def test_values_for_first_name_is_the_first_word_when_the_object_has_none():
    requester = SimpleNamespace(name="  Ana   Maria ", email="", phone="")
    assert values_for(ticket=full_ticket(requester=requester))["ticket.requester.first_name"] == "Ana"
    requester = SimpleNamespace(name="", email="", phone="")
    assert values_for(ticket=full_ticket(requester=requester))["ticket.requester.first_name"] == ""


def test_values_for_uses_the_objects_own_first_name():
    requester = SimpleNamespace(name="Dr. Ana Silva", first_name="Ana", email="", phone="")
    assert values_for(ticket=full_ticket(requester=requester))["ticket.requester.first_name"] == "Ana"


def test_values_for_a_user_without_a_full_name_falls_back_to_the_username():
    me = StandInUser(first_name="", last_name="", email="", username="root")
    values = values_for(ticket=full_ticket(), current_user=me)
    assert values["current_user.name"] == "root"
    assert values["current_user.first_name"] == "root"


def test_values_for_uses_choice_labels_when_the_object_has_them():
    class Ticket(SimpleNamespace):
        def get_status_display(self):
            return {"open": "Open", "hold": "On-hold"}[self.status]

        def get_priority_display(self):
            return None if self.priority is None else self.priority.title()

    values = values_for(ticket=Ticket(pk=1, subject="s", status="hold", priority=None))
    assert values["ticket.status"] == "On-hold"
    assert values["ticket.priority"] == ""
    values = values_for(ticket=Ticket(pk=1, subject="s", status="open", priority="urgent"))
    assert (values["ticket.status"], values["ticket.priority"]) == ("Open", "Urgent")


@pytest.mark.parametrize(
    ("site_url", "url"),
    [
        ("", "/tickets/7/"),
        ("https://desk.example.com", "https://desk.example.com/tickets/7/"),
        ("https://desk.example.com/", "https://desk.example.com/tickets/7/"),
        ("https://example.com/desk", "https://example.com/desk/tickets/7/"),
    ],
)
def test_values_for_ticket_url(site_url, url):
    assert values_for(ticket=full_ticket(pk=7), site_url=site_url)["ticket.url"] == url


def test_values_for_an_unsaved_ticket_has_no_id_nor_url():
    values = values_for(ticket=full_ticket(pk=None), site_url="https://desk.example.com")
    assert values["ticket.id"] == ""
    assert values["ticket.url"] == ""


def test_values_for_then_render_end_to_end():
    me = StandInUser(first_name="Bob", last_name="Boss", email="bob@example.com", username="bob")
    values = values_for(ticket=full_ticket(), current_user=me, site_url="https://desk.example.com")
    text = "Hi {{ticket.requester.first_name}}, {{current_user.first_name}} here about {{ticket.title}}: {{ticket.url}}"
    assert render(text, values) == ("Hi Ana, Bob here about Card blocked: https://desk.example.com/tickets/4521/")


def test_values_for_reads_real_model_instances_without_the_database():
    # No `db` fixture: pytest-django refuses any query, so this also proves values_for only reads attributes.
    from django.contrib.auth import get_user_model

    from tickets.models import Contact, Group, Ticket

    user_model = get_user_model()
    ticket = Ticket(
        pk=12,
        subject="Where is my order?",
        status="pending",
        priority="urgent",
        type="question",
        via="whatsapp",
        requester=Contact(name="Ana Silva", email="ana@example.com", phone="+5511999990000"),
        assignee=user_model(username="alice", first_name="Alice", last_name="Agent", email="alice@example.com"),
        group=Group(name="Support"),
    )
    me = user_model(username="root")
    values = values_for(ticket=ticket, current_user=me, site_url="https://desk.example.com/")
    assert values["ticket.status"] == "Pending"
    assert values["ticket.priority"] == "Urgent"
    assert values["ticket.type"] == "Question"
    assert values["ticket.via"] == "WhatsApp"
    assert values["ticket.requester.first_name"] == "Ana"
    assert values["ticket.assignee.name"] == "Alice Agent"
    assert values["ticket.group.name"] == "Support"
    assert values["current_user.name"] == "root"
    assert values["ticket.url"] == "https://desk.example.com/tickets/12/"

    bare = Ticket(pk=13, subject="x", requester=Contact(name="Bo"))
    values = values_for(ticket=bare)
    assert (values["ticket.assignee.name"], values["ticket.group.name"], values["ticket.priority"]) == ("", "", "")


def test_the_module_imports_no_models():
    import ast
    import inspect

    for module in (placeholders, shorthand):
        tree = ast.parse(inspect.getsource(module))
        imported = {
            node.module if isinstance(node, ast.ImportFrom) else alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in node.names
        }
        # Messages are translated where they are made; translation needs no models and no database.
        imported -= {"django.utils.translation"}
        assert not any(name and (name.startswith("django") or name.endswith("models")) for name in imported), imported
