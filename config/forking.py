"""A process forked from a Django process must not use its parent's PostgreSQL connection pool.

django-q2's sentinel forks worker processes (and respawns them later, after it has opened its own pool for the
scheduler). A forked child inherits the pool object, but not the pool's threads, which are what replace broken
connections, and the pool's sockets belong to the parent. bench/faults.py found it: after a PostgreSQL restart,
respawned workers waited forever ("couldn't get a connection after 10.00 sec") until the cluster was restarted.

After a fork, the child forgets the inherited pool and connections and opens its own on first use. It never closes
them: that would close the parent's sockets; they stay referenced here so no finalizer runs in the child.
"""

import os
import sys

_inherited: list = []


def forget_inherited_database_connections() -> None:
    base = sys.modules.get("django.db.backends.postgresql.base")
    if base is None:
        return  # this process never used PostgreSQL: nothing inherited
    try:
        from django.db import connections

        pools = base.DatabaseWrapper._connection_pools
        _inherited.extend(pools.values())
        pools.clear()
        for connection in connections.all(initialized_only=True):
            if connection.connection is not None:
                _inherited.append(connection.connection)
                connection.connection = None
    except Exception:  # noqa: S110 - never break a fork; the child then just opens connections as usual
        pass


os.register_at_fork(after_in_child=forget_inherited_database_connections)
