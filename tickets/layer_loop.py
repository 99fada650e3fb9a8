"""One event loop per process, in its own thread, for sync code that sends to the Redis channel layer.

`async_to_sync(layer.group_send)` from a thread without an event loop (the worker, a WSGI process) starts a new
thread and a new event loop for every call, and channels_redis keeps its connections per event loop, so each frame
also paid a new connection to Redis: about a fifth of the worker's CPU per inbound message. Here the loop and its
connection pool live as long as the process. A forked child (qcluster's workers, gunicorn's) starts its own.
"""

import asyncio
import os
import threading
from collections.abc import Coroutine

SEND_TIMEOUT = 5.0  # seconds; a frame that cannot leave by then is dropped (stored notifications fill the gap)

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_loop_pid = 0


def _running_loop() -> asyncio.AbstractEventLoop:
    global _loop, _loop_pid
    with _lock:
        if _loop is None or _loop_pid != os.getpid():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="channel-layer-loop", daemon=True).start()
            _loop, _loop_pid = loop, os.getpid()
        return _loop


def run(coroutine: Coroutine, timeout: float = SEND_TIMEOUT):
    """Run `coroutine` on the process's layer loop and wait for its result (its exception is raised here)."""
    return asyncio.run_coroutine_threadsafe(coroutine, _running_loop()).result(timeout)
