"""The servers and workers a benchmark starts (daphne, gunicorn, uvicorn, qcluster), their ports, their CPU time
and memory, and the cleanup of anything a killed run left behind."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bench.environment import PIDS_FILE, PYTHON, REPO, VENV_BIN

# --- Processes -----------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_port(port: int, timeout: float = 30.0, proc: Proc | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.popen.poll() is not None:
            raise RuntimeError(f"{proc.name} exited with {proc.popen.returncode}; see {proc.log}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


@dataclass
class Proc:
    """A server or worker this script started, in its own process group, logging to var/bench-logs/."""

    name: str
    popen: subprocess.Popen
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def signal(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)

    def stop(self, timeout: float = 15.0) -> None:
        if self.alive():
            self.signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.signal(signal.SIGKILL)
                self.popen.wait(5)
        else:
            self.signal(signal.SIGKILL)  # leftover children of a dead leader
        _forget(self.pid)


_started: list[Proc] = []


def _remember(pid: int) -> None:
    PIDS_FILE.parent.mkdir(exist_ok=True)
    with PIDS_FILE.open("a") as f:
        f.write(f"{pid}\n")


def _forget(pid: int) -> None:
    if PIDS_FILE.exists():
        left = [line for line in PIDS_FILE.read_text().split() if line != str(pid)]
        PIDS_FILE.write_text("".join(f"{p}\n" for p in left))


def reap_leftovers() -> None:
    """Process groups a previous, interrupted bench run started (recorded by pid in var/bench-pids). Also makes a
    SIGTERM to this script run its cleanup (`finally:` blocks) as Ctrl-C does."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if not PIDS_FILE.exists():
        return
    for line in PIDS_FILE.read_text().split():
        with contextlib.suppress(ProcessLookupError, PermissionError, ValueError):
            os.killpg(int(line), signal.SIGKILL)
    PIDS_FILE.unlink()


def start(name: str, argv: list[str], env: dict[str, str]) -> Proc:
    logs = REPO / "var" / "bench-logs"
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"{name}.log"
    handle = log.open("w")
    popen = subprocess.Popen(argv, cwd=REPO, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
    proc = Proc(name, popen, log)
    _started.append(proc)
    _remember(popen.pid)
    return proc


def stop_all() -> None:
    while _started:
        _started.pop().stop()


def daphne(env: dict[str, str], port: int, name: str = "daphne") -> Proc:
    proc = start(
        name, [str(VENV_BIN / "daphne"), "-v", "0", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"], env
    )
    wait_port(port, proc=proc)
    return proc


def pinned(argv: list[str], cpus: str | None) -> list[str]:
    """`argv` run on the CPUs `cpus` only ("0", "1", "0-1"; children inherit it), or as it is when None."""
    return ["taskset", "-c", cpus, *argv] if cpus else argv


def gunicorn(env: dict[str, str], port: int, workers: int = 2, name: str = "gunicorn", cpus: str | None = None) -> Proc:
    argv = [
        str(VENV_BIN / "gunicorn"),
        "-c",
        "config/gunicorn.conf.py",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--max-requests",
        "0",  # no worker recycling during a measurement (its CPU time would leave the process tree)
        "config.wsgi:application",
    ]
    proc = start(name, pinned(argv, cpus), env)
    wait_port(port, proc=proc)
    return proc


def uvicorn(env: dict[str, str], port: int, workers: int = 2, name: str = "uvicorn") -> Proc:
    argv = [
        str(VENV_BIN / "uvicorn"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
        "--log-level",
        "warning",
        "config.asgi:application",
    ]
    proc = start(name, argv, env)
    wait_port(port, proc=proc)
    return proc


def qcluster(env: dict[str, str], name: str = "qcluster", cpus: str | None = None) -> Proc:
    return start(name, pinned([PYTHON, "manage.py", "qcluster"], cpus), env)


def cpu_seconds(procs: Iterable[Proc]) -> float:
    """User + system CPU time so far of each process tree (the server's own work, whatever else runs), including
    children that already exited (django-q recycles its workers, gunicorn can too)."""
    import psutil

    total = 0.0
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            leader = psutil.Process(proc.pid)
            for p in [leader, *leader.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    times = p.cpu_times()
                    total += times.user + times.system + times.children_user + times.children_system
    return total


# --- Memory --------------------------------------------------------------------------------------------------


class RssSampler:
    """Peak resident memory of each named process tree (leader + children), sampled every 100 ms in a thread."""

    def __init__(self, procs: dict[str, Proc]):
        self.procs = procs
        self.peak: dict[str, int] = dict.fromkeys(procs, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psutil

        while not self._stop.is_set():
            for label, proc in self.procs.items():
                with contextlib.suppress(psutil.Error):
                    leader = psutil.Process(proc.pid)
                    total = sum(p.memory_info().rss for p in [leader, *leader.children(recursive=True)])
                    self.peak[label] = max(self.peak[label], total)
            self._stop.wait(0.1)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(2)
