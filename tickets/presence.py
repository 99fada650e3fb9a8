"""Agent collision, live part: who else has a ticket open, and who is typing on it.

State lives in Django's cache (Redis when `REDIS_URL` is set, so every web process shares it; locmem in the embedded
single web process): one entry per socket ("tab") per ticket, refreshed by a heartbeat of the socket's own consumer
and dropped when the socket leaves. An entry whose process died stops being refreshed and expires after
`ENTRY_TTL_SECONDS`; the next change or heartbeat of anyone on the ticket prunes it and tells the others.

Frames go to the ticket's group (only sockets that passed the access check on `ticket.subscribe` are in it), and each
socket drops its own agent and anything it has already shown (`PresenceSession.visible`): an agent never sees
themselves, and two tabs of one agent show once.
"""

import asyncio
import contextlib
import logging
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass

from asgiref.sync import sync_to_async
from django.core.cache import cache

from tickets import realtime

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 20  # each socket refreshes its entries this often
ENTRY_TTL_SECONDS = 60  # an entry not refreshed for this long belongs to a dead process
TYPING_TTL_SECONDS = 8  # "typing" without a fresh `typing: true` (the client sends one every 3 s) ends by itself
TYPING_REFRESH_SECONDS = 2.5  # a repeated `typing: true` within this is not even written
FLOOD_WINDOW_SECONDS = 10
FLOOD_LIMIT = 12  # typing messages per socket per window; the client sends about one per 3 s
LOCK_SECONDS = 2
LOCK_WAIT_SECONDS = 0.5

_clock: Callable[[], float] = time.time  # wall clock: entries are compared across processes


def _state_key(ticket_id: int) -> str:
    return f"presence:ticket:{ticket_id}"


def _lock_key(ticket_id: int) -> str:
    return f"presence:lock:{ticket_id}"


@dataclass(frozen=True)
class Viewer:
    """One agent on a ticket, however many tabs they have open on it."""

    id: int
    name: str
    initials: str
    typing: bool
    internal: bool  # what they are typing: an internal note (True) or a public reply


def display_name(user) -> str:
    """What the others see: the full name, else the username; never an e-mail address."""
    name = (user.get_full_name() or "").strip() or user.get_username()
    return name.split("@", 1)[0] if "@" in name else name


def initials(name: str) -> str:
    words = [word for word in name.replace("-", " ").replace(".", " ").split() if word]
    if not words:
        return "?"
    letters = words[0][0] + (words[-1][0] if len(words) > 1 else "")
    return letters.upper()


# --- State: one cache entry per ticket, {channel: entry} ---------------------------------------------------------


def _viewers(entries: dict, now: float) -> list[Viewer]:
    """Entries -> one viewer per agent, in the order they arrived; typing if any of their tabs types."""
    by_user: dict[int, dict] = {}
    for entry in sorted(entries.values(), key=lambda e: (e["since"], e["user"])):
        typing = entry["typing_until"] > now
        seen = by_user.setdefault(entry["user"], {"name": entry["name"], "typing": False, "internal": False})
        if typing and not seen["typing"]:
            seen.update(typing=True, internal=entry["internal"])
    return [
        Viewer(id=user, name=v["name"], initials=initials(v["name"]), typing=v["typing"], internal=v["internal"])
        for user, v in by_user.items()
    ]


@contextlib.contextmanager
def _locked(ticket_id: int):
    """A short lock around one read-modify-write (`cache.add` is atomic on Redis and locmem). If it cannot be had in
    time the write goes ahead anyway: presence is best effort and the next heartbeat repairs a lost update."""
    key, token = _lock_key(ticket_id), uuid.uuid4().hex
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    held = cache.add(key, token, timeout=LOCK_SECONDS)
    while not held and time.monotonic() < deadline:
        time.sleep(0.01)
        held = cache.add(key, token, timeout=LOCK_SECONDS)
    try:
        yield
    finally:
        if held and cache.get(key) == token:
            cache.delete(key)


def _update(ticket_id: int, change: Callable[[dict, float], None], now: float | None) -> list[Viewer] | None:
    """Apply `change` to the ticket's entries (expired ones pruned first). Returns the viewers when they differ from
    what was last published for the ticket (a join, a leave, typing, or an expiry noticed now), else None."""
    now = _clock() if now is None else now
    with _locked(ticket_id):
        stored = cache.get(_state_key(ticket_id)) or {}
        entries = {c: e for c, e in stored.get("entries", {}).items() if e["seen"] + ENTRY_TTL_SECONDS > now}
        change(entries, now)
        after = _viewers(entries, now)
        published = [asdict(viewer) for viewer in after]
        if entries:
            state = {"entries": entries, "published": published}
            cache.set(_state_key(ticket_id), state, timeout=ENTRY_TTL_SECONDS * 2)
        elif stored:
            cache.delete(_state_key(ticket_id))
    return after if published != stored.get("published", []) else None


def viewer_join(*, ticket_id: int, channel: str, user_id: int, name: str, now: float | None = None):
    """A socket opened the ticket, or its heartbeat says it still has it open. The new viewers when they changed."""

    def change(entries: dict, at: float) -> None:
        entry = entries.get(channel)
        if entry is None:
            entries[channel] = {
                "user": user_id,
                "name": name,
                "since": at,
                "seen": at,
                "typing_until": 0.0,
                "internal": False,
            }
        else:
            entry["seen"] = at

    return _update(ticket_id, change, now)


def viewer_leave(*, ticket_id: int, channel: str, now: float | None = None):
    """A socket closed the ticket (unsubscribe, tab closed, disconnect). The new viewers when they changed."""
    return _update(ticket_id, lambda entries, at: entries.pop(channel, None), now)


def viewer_typing(*, ticket_id: int, channel: str, typing: bool, internal: bool, now: float | None = None):
    """A socket on the ticket started or stopped typing. Ignored for a socket that is not on the ticket."""

    def change(entries: dict, at: float) -> None:
        entry = entries.get(channel)
        if entry is None:
            return
        entry.update(seen=at, typing_until=at + TYPING_TTL_SECONDS if typing else 0.0, internal=internal)

    return _update(ticket_id, change, now)


def viewers(*, ticket_id: int, now: float | None = None) -> list[Viewer]:
    now = _clock() if now is None else now
    entries = (cache.get(_state_key(ticket_id)) or {}).get("entries", {})
    return _viewers({c: e for c, e in entries.items() if e["seen"] + ENTRY_TTL_SECONDS > now}, now)


def presence_frame(*, ticket_id: int, viewers: list[Viewer]) -> dict:
    return realtime.presence_frame(ticket_id=ticket_id, viewers=[asdict(viewer) for viewer in viewers])


# --- Flood guard ---------------------------------------------------------------------------------------------------


class TypingThrottle:
    """Which of one socket's typing messages are worth a write: a change of state, or a `typing: true` that keeps the
    indicator alive; at most FLOOD_LIMIT per window, the rest ignored."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self.recent: deque[float] = deque()
        self.state: dict[int, tuple[bool, bool, float]] = {}  # ticket -> (typing, internal, when written)

    def allow(self, ticket_id: int, *, typing: bool, internal: bool) -> bool:
        now = self.clock()
        while self.recent and self.recent[0] <= now - FLOOD_WINDOW_SECONDS:
            self.recent.popleft()
        was_typing, was_internal, written = self.state.get(ticket_id, (False, False, 0.0))
        if not typing and not was_typing:
            return False  # nothing to clear
        if typing and was_typing and internal == was_internal and now - written < TYPING_REFRESH_SECONDS:
            return False  # the indicator is fresh enough
        if len(self.recent) >= FLOOD_LIMIT:
            return False
        self.recent.append(now)
        self.state[ticket_id] = (typing, internal, now)
        return True

    def forget(self, ticket_id: int) -> None:
        self.state.pop(ticket_id, None)


# --- One socket's presence (used by tickets.consumers.AgentConsumer) -----------------------------------------------


async def _run(fn, **kwargs):
    """Cache calls off the event loop, and not on the thread the ORM calls share, since the lock may wait. Presence is
    best effort: a cache outage is logged and ends no socket (the next heartbeat tries again)."""
    try:
        return await sync_to_async(fn, thread_sensitive=False)(**kwargs)
    except Exception:
        logger.warning("Presence: %s failed on ticket %s", fn.__name__, kwargs.get("ticket_id"), exc_info=True)
        return None


class PresenceSession:
    """The tickets one socket has open: joins and leaves them, relays its typing, keeps its entries alive."""

    def __init__(self, *, channel: str, user, send: Callable[[dict], Awaitable[None]]):
        self.channel = channel
        self.user_id = user.pk
        self.name = display_name(user)
        self.send = send
        self.tickets: set[int] = set()
        self.shown: dict[int, list] = {}  # ticket -> the viewers this socket last showed
        self.throttle = TypingThrottle()
        self.heartbeat: asyncio.Task | None = None

    async def join(self, ticket_id: int) -> None:
        self.tickets.add(ticket_id)
        changed = await _run(
            viewer_join, ticket_id=ticket_id, channel=self.channel, user_id=self.user_id, name=self.name
        )
        if changed is not None:
            await realtime.presence_send(ticket_id, presence_frame(ticket_id=ticket_id, viewers=changed))
        else:  # nothing new for the others (a second tab of the same agent): this tab still needs the list
            current = await _run(viewers, ticket_id=ticket_id)
            await self.deliver(presence_frame(ticket_id=ticket_id, viewers=current or []))
        if self.heartbeat is None:
            self.heartbeat = asyncio.create_task(self._beat())

    async def leave(self, ticket_id: int) -> None:
        self.tickets.discard(ticket_id)
        self.shown.pop(ticket_id, None)
        self.throttle.forget(ticket_id)
        changed = await _run(viewer_leave, ticket_id=ticket_id, channel=self.channel)
        if changed is not None:
            await realtime.presence_send(ticket_id, presence_frame(ticket_id=ticket_id, viewers=changed))

    async def typing(self, ticket_id: int, content: dict) -> None:
        """`{"type": "ticket.typing", "ticket_id", "typing": bool, "mode": "public"|"internal"}` from the client."""
        if ticket_id not in self.tickets or not isinstance(content.get("typing"), bool):
            return
        typing, internal = content["typing"], content.get("mode") == "internal"
        if not self.throttle.allow(ticket_id, typing=typing, internal=internal):
            return
        changed = await _run(viewer_typing, ticket_id=ticket_id, channel=self.channel, typing=typing, internal=internal)
        if changed is not None:
            await realtime.presence_send(ticket_id, presence_frame(ticket_id=ticket_id, viewers=changed))

    async def close(self) -> None:
        if self.heartbeat is not None:
            self.heartbeat.cancel()
            self.heartbeat = None
        for ticket_id in list(self.tickets):
            await self.leave(ticket_id)

    def visible(self, frame: dict) -> dict | None:
        """The frame as this socket shows it: without its own agent, and None when that changes nothing here."""
        ticket_id = frame.get("ticket_id")
        if ticket_id not in self.tickets:
            return None
        others = [viewer for viewer in frame.get("viewers", []) if viewer.get("id") != self.user_id]
        if others == self.shown.get(ticket_id, []):
            return None
        self.shown[ticket_id] = others
        return {**frame, "viewers": others}

    async def deliver(self, frame: dict) -> None:
        visible = self.visible(frame)
        if visible is not None:
            await self.send(visible)

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            for ticket_id in list(self.tickets):
                changed = await _run(
                    viewer_join, ticket_id=ticket_id, channel=self.channel, user_id=self.user_id, name=self.name
                )
                if changed is not None:
                    await realtime.presence_send(ticket_id, presence_frame(ticket_id=ticket_id, viewers=changed))
