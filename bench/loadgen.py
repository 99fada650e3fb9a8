"""A light closed-loop HTTP load generator (asyncio streams, hand-written HTTP/1.1, keep-alive) and its result."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

# --- Load generation -------------------------------------------------------------------------------------------


@dataclass
class LoadResult:
    statuses: list[int]
    latencies: list[float]  # seconds, per request, in request order
    started: list[float]  # time.time() when each request was sent
    wall: float
    client_cpu: float

    @classmethod
    def merge(cls, parts: Sequence[LoadResult]) -> LoadResult:
        return cls(
            [s for p in parts for s in p.statuses],
            [x for p in parts for x in p.latencies],
            [x for p in parts for x in p.started],
            sum(p.wall for p in parts),
            sum(p.client_cpu for p in parts),
        )

    @property
    def ok(self) -> int:
        return sum(1 for s in self.statuses if s == 200)

    @property
    def rate(self) -> float:
        return self.ok / self.wall if self.wall else 0.0

    def pct(self, p: float) -> float:
        done = sorted(lat for lat, s in zip(self.latencies, self.statuses, strict=True) if s)
        return percentile(done, p)

    @property
    def over_1s(self) -> float:
        return 100.0 * sum(1 for lat in self.latencies if lat > 1.0) / max(1, len(self.latencies))


def percentile(values: Sequence[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def http_request(method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "User-Agent: bench"]
    for key, value in (headers or {}).items():
        lines.append(f"{key}: {value}")
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            key, value = line.split(":", 1)
            headers[key.strip().lower()] = value.strip().lower()
    close = headers.get("connection") == "close"
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding") == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        await reader.read()
        close = True
    return status, close


async def _load(
    port: int, requests: Sequence[bytes], concurrency: int, timeout: float, rate: float = 0.0
) -> LoadResult:
    n = len(requests)
    statuses = [0] * n
    latencies = [0.0] * n
    started = [0.0] * n
    next_index = iter(range(n))

    async def worker() -> None:
        reader = writer = None
        for i in next_index:
            if rate:  # open loop: request i leaves at i / rate seconds, whatever the answers' speed
                await asyncio.sleep(max(0.0, begin + i / rate - time.perf_counter()))
            t0 = time.perf_counter()
            started[i] = time.time()
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(requests[i])
                async with asyncio.timeout(timeout):  # cheaper than wait_for, which makes a task per call
                    status, close = await _read_response(reader)
                statuses[i] = status
            except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError, IndexError):
                status, close = 0, True
            latencies[i] = time.perf_counter() - t0
            if close and writer is not None:
                writer.close()
                reader = writer = None
        if writer is not None:
            writer.close()

    cpu0, t0 = time.process_time(), time.perf_counter()
    begin = t0
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return LoadResult(statuses, latencies, started, time.perf_counter() - t0, time.process_time() - cpu0)


def load(
    port: int, requests: Sequence[bytes], concurrency: int, timeout: float = 30.0, rate: float = 0.0
) -> LoadResult:
    """Send every request once over `concurrency` keep-alive connections (closed-loop), in order.

    asyncio streams (on uvloop when installed) with hand-written HTTP/1.1: its CPU per request is reported as
    `client_cpu`, so what the load generator takes from the server's cores is in the table.
    """
    try:  # uvloop (installed with uvicorn[standard]) halves the client's CPU per request
        import uvloop

        return uvloop.run(_load(port, requests, concurrency, timeout, rate))
    except ImportError:
        return asyncio.run(_load(port, requests, concurrency, timeout, rate))
