import pytest
from rest_framework.test import APIClient

from tests.factories import AdminFactory, UserFactory


@pytest.fixture
def agent(db):
    return UserFactory(username="alice", first_name="Alice", last_name="Agent")


@pytest.fixture
def other_agent(db):
    return UserFactory(username="bob", first_name="Bob", last_name="Other")


@pytest.fixture
def admin_user(db):
    return AdminFactory(username="root", first_name="Ada", last_name="Admin")


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def agent_api(agent):
    client = APIClient()
    client.force_authenticate(agent)
    return client


@pytest.fixture
def admin_api(admin_user):
    client = APIClient()
    client.force_authenticate(admin_user)
    return client


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client
