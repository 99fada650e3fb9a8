"""django-q2's Redis broker with one Redis client per process (set as Q_CLUSTER["broker_class"] with REDIS_URL).

django-q2 builds a new broker for every `async_task` call, and its Redis broker a new client: every enqueue (one per
webhook, per outbound send) paid a new TCP connection to Redis. Here each process keeps one client (redis-py clients
are thread-safe and pool their connections); the pid in the key keeps forked processes (gunicorn and qcluster
workers) from sharing a socket.
"""

import os

from django_q.brokers.redis_broker import Redis
from django_q.conf import Conf

_clients: dict = {}


class PooledRedis(Redis):
    @staticmethod
    def get_connection(list_key: str | None = None):
        key = (os.getpid(), str(Conf.REDIS))
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = Redis.get_connection(list_key)
        return client
