"""A process forked after the parent opened its PostgreSQL pool (django-q2 respawning a worker) opens its own pool,
and the parent's connection keeps working (config/forking.py)."""

import os

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def postgresql_pool_only():
    if connection.vendor != "postgresql" or not connection.settings_dict["OPTIONS"].get("pool"):
        pytest.skip("needs PostgreSQL with the psycopg pool (DATABASE_URL=postgres://...)")


def test_forked_child_uses_its_own_pool_and_the_parent_keeps_its_connection():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        parent_backend = cursor.fetchone()[0]
    parent_pool = connection.pool
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report its backend pid and whether it got a new pool, then leave at once
        code = 1
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                child_backend = cursor.fetchone()[0]
            os.write(write, f"{child_backend} {connection.pool is not parent_pool}".encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    child_backend, new_pool = os.read(read, 100).decode().split()
    assert os.waitstatus_to_exitcode(status) == 0
    assert new_pool == "True"
    assert int(child_backend) != parent_backend  # its own connection, not the parent's socket
    with connection.cursor() as cursor:  # the parent's connection was not closed by the child
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] == parent_backend
