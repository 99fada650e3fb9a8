# Imported by every process (settings, asgi, wsgi): forked children must not reuse the parent's connection pool.
from config import forking  # noqa: F401
