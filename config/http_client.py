"""One HTTP client per process, kept alive between calls.

`httpx.post()` and friends build a client per call, so every call paid a new connection and a new TLS context (the
CA bundle parsed again): 10-40 ms before each Graph send or relayed frame. Keyed by pid: a forked worker (qcluster's,
gunicorn's) must not use its parent's sockets. httpx drops idle connections after 5 s, so one the server closed is not
reused. Timeouts stay with each call.
"""

import os

import httpx

_clients: dict[int, httpx.Client] = {}


def process_client() -> httpx.Client:
    pid = os.getpid()
    client = _clients.get(pid)
    if client is None:
        client = _clients[pid] = httpx.Client()
    return client
