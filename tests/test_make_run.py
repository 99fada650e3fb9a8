"""`make run`'s processes stop cleanly: Ctrl-C (SIGINT to the terminal's process group) or TERM stops the web
server and the worker within 5 s, with no traceback and no process left behind (config/run.py).

`make run` first installs, migrates and seeds, which is slow: these tests run its `run` target with those taken as
done (`make -o seed run`), and the exact command the target ends with (`make -n run` is checked to say so), on a
temporary SQLite database and a free port.
"""

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DROPPED = ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "REALTIME_RELAY_URL", "Q_SYNC")
STOP_WITHIN = 5.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def descendants(pid: int) -> set[int]:
    """Every live process below pid, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            stat = (entry / "stat").read_text()
            ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    """Running (a zombie waiting for its reaper counts as gone: it runs nothing and holds no port)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def group_exists(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def run_command() -> Iterator[tuple[list[str], dict[str, str], int, Path]]:
    with tempfile.TemporaryDirectory(prefix="make-run-") as tmp:
        env = {k: v for k, v in os.environ.items() if k not in DROPPED and not k.startswith("PYTEST")}
        env.update(DATABASE_URL=f"sqlite:///{tmp}/db.sqlite3", Q_WORKERS="1", PYTHONUNBUFFERED="1")
        env.update(DJANGO_SETTINGS_MODULE="config.settings.local")  # what the Makefile's migrate, seed and run use
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
        port = free_port()
        yield [sys.executable, "config/run.py", "--host", "127.0.0.1", "--port", str(port)], env, port, Path(tmp)


def wait_until_serving(process: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text(errors="replace")[-3000:]
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    pytest.fail(f"the web server did not answer on {port}:\n{log.read_text(errors='replace')[-3000:]}")


def wait_for_worker(process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 40
    while "running." not in log.read_text(errors="replace"):
        assert time.monotonic() < deadline, log.read_text(errors="replace")[-3000:]
        assert process.poll() is None, log.read_text(errors="replace")[-3000:]
        time.sleep(0.1)


def make_run(port: int) -> list[str]:
    """The real `make run` target with its install/migrate/seed prerequisites taken as done (`-o seed`), on this
    interpreter's environment (nothing is installed)."""
    venv = Path(sys.executable).parent.parent
    return ["make", "--no-print-directory", "-o", "seed", "run", f"VENV={venv}", "HOST=127.0.0.1", f"PORT={port}"]


@pytest.mark.parametrize(
    ("how", "signum", "to_group"),
    [
        ("supervisor", signal.SIGINT, True),
        ("supervisor", signal.SIGTERM, True),
        ("make", signal.SIGINT, True),  # Ctrl-C in the terminal: make and everything in its group
        ("make", signal.SIGTERM, False),  # `kill <make's pid>`
    ],
    ids=["ctrl-c", "term", "make-ctrl-c", "make-term"],
)
def test_run_stops_web_and_worker_quietly_within_five_seconds(run_command, how, signum, to_group):
    argv, env, port, tmp = run_command
    if how == "make":
        argv = make_run(port)
        env = {k: v for k, v in env.items() if not k.startswith("MAKE")}
    log = tmp / "run.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    pgid = process.pid
    try:
        wait_until_serving(process, port, log)
        wait_for_worker(process, log)  # the cluster's sentinel and workers are up: the case that used to misbehave
        below = descendants(process.pid)
        names = " ".join(Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace") for pid in below)
        assert "qcluster" in names and "daphne" in names, names
        assert len(below) >= 4, names  # daphne, qcluster, its sentinel, its worker(s)...
        groups = {os.getpgid(pid) for pid in below if alive(pid)}

        started = time.monotonic()
        if to_group:
            os.killpg(pgid, signum)  # what the terminal does on Ctrl-C (SIGINT), or `kill -TERM -<pgid>`
        else:
            os.kill(process.pid, signum)
        process.wait(STOP_WITHIN + 1)
        took = time.monotonic() - started
        while any(alive(pid) for pid in below) and time.monotonic() - started < STOP_WITHIN:
            time.sleep(0.05)
        assert took < STOP_WITHIN, f"stopped in {took:.1f}s"
        if how == "supervisor":
            assert process.returncode == 0  # make itself reports the interrupt in its own words, and exits non-zero
        assert not [pid for pid in below if alive(pid)], "processes left behind"
        assert not group_exists(pgid)
        assert not [group for group in groups if group_exists(group)], "a child's process group is left"
        output = log.read_text(errors="replace")
        for bad in ("Traceback", "RecursionError", "Segmentation fault", "KeyboardInterrupt"):
            assert bad not in output, output[-3000:]
        print(f"{how} {signal.Signals(signum).name}: web and worker stopped in {took:.2f}s")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
        for pid in descendants(process.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(5)


def test_when_one_process_dies_the_other_is_stopped_too(run_command):
    argv, env, port, tmp = run_command
    log = tmp / "run.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        wait_until_serving(process, port, log)
        wait_for_worker(process, log)
        below = descendants(process.pid)
        daphne = next(pid for pid in below if b"daphne" in Path(f"/proc/{pid}/cmdline").read_bytes())
        os.kill(daphne, signal.SIGKILL)
        process.wait(STOP_WITHIN + 1)
        assert process.returncode == 1
        assert not [pid for pid in below if alive(pid)]
        assert "web exited" in log.read_text(errors="replace")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(5)


def test_the_run_target_runs_this_command():
    """`make -n` prints the recipe without running it (nothing is installed)."""
    dry = subprocess.run(
        ["make", "-n", "run", "VENV=/nonexistent-venv", "PORT=8123"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("MAKE")},
    )
    run_line = dry.stdout.strip().splitlines()[-1]
    assert re.search(r"exec /nonexistent-venv/bin/python config/run\.py --host 127\.0\.0\.1 --port 8123$", run_line), (
        run_line
    )
    assert "REALTIME_RELAY_URL" not in dry.stdout  # the worker finds daphne by itself
    assert "trap" not in run_line


def test_the_worker_runs_at_a_lower_cpu_priority_than_the_web():
    from config import run

    base = os.nice(0)
    argv = [sys.executable, "-c", "import os, sys; sys.exit(os.nice(0))"]
    worker = run.start(argv, nice=run.NICENESS["worker"])
    web = run.start(argv, nice=run.NICENESS.get("web", 0))
    assert worker.wait(10) == min(19, base + 10)
    assert web.wait(10) == base
