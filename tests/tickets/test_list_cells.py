"""The ticket list's cut cells keep their full text in `title` (the layout itself: tests/e2e/test_page_layout.py)."""

import pytest

from tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def test_subject_and_names_carry_their_full_text_in_title(agent_client, agent):
    subject = "A very long subject that the list cuts to one line with an ellipsis & more"
    TicketFactory(subject=subject, assignee=agent)
    html = agent_client.get("/").content.decode()
    assert (
        'class="col-subject" title="A very long subject that the list cuts to one line with an ellipsis &amp; more"'
        in html
    )
    assert f'title="{agent.get_full_name()}"' in html
