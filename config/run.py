"""`make run`'s two processes: the web server (daphne) and the worker (qcluster), stopped cleanly together.

    python config/run.py --host 127.0.0.1 --port 8000

Ctrl-C or TERM stops both within about 5 seconds, quietly, and leaves no process behind; if either exits on its
own, the other is stopped too and the exit status is 1.

Why not `trap 'kill 0' INT TERM EXIT; qcluster & daphne & wait` in the Makefile (as before): `kill 0` signals the
whole process group, the shell included, so the trap fires again on its own TERM, recursively, until bash overflows
its stack ("Segmentation fault"). Every round also sends TERM to every qcluster process, and a Ctrl-C reaches them
all from the terminal besides: django-q's cluster handler (`Cluster.sig_handler` -> `stop()` -> `sentinel.join()`)
is re-entered by each new signal while it is still stopping, and each nesting ends in a `RecursionError` traceback,
thousands of lines; when bash has crashed, nothing is left to stop the cluster, which is orphaned.

Here each child runs in its own session (so the terminal's Ctrl-C reaches only this script), receives exactly one
TERM (django-q's main process then stops its own sentinel and workers), and whatever is still running after
GRACE_SECONDS is killed with its whole process group. On Linux this script is also the children's subreaper (a
cluster process orphaned by its parent is reaped here, not left to init) and the children get TERM if this script
dies first (PR_SET_PDEATHSIG). No Django import: nothing here can fail the way the children might.
"""

import argparse
import contextlib
import ctypes
import functools
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCAL_SETTINGS = "config.settings.local"
GRACE_SECONDS = 4.0
POLL_SECONDS = 0.05
PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
# The worker runs at a lower CPU priority than the web server: on a small machine both want the same cores while
# messages arrive, and an agent waiting for a page should not wait behind background work (the worker still gets
# every cycle the web leaves idle). bench/under_load.py measured agent pages at 2.4 x their idle p95 during ingest
# without it, 1.5 x with it.
NICENESS = {"worker": 10}


def _prctl(option: int, value: int) -> None:
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)


def _in_child(nice: int = 0) -> None:
    """Runs in the child between fork and exec: stop with us if we die without stopping it; lower its priority by
    `nice` (inherited by the processes it forks)."""
    _prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM))
    if nice:
        with contextlib.suppress(OSError):
            os.nice(nice)


def commands(host: str, port: int) -> dict[str, list[str]]:
    bin_dir = Path(sys.executable).parent
    return {
        "worker": [sys.executable, "manage.py", "qcluster"],
        "web": [str(bin_dir / "daphne"), "-b", host, "-p", str(port), "config.asgi:application"],
    }


def start(argv: list[str], *, nice: int = 0) -> subprocess.Popen:
    # A development tool: its children use the local settings unless told otherwise (manage.py and daphne alone
    # default to config.settings.production).
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE") or LOCAL_SETTINGS}
    return subprocess.Popen(  # noqa: S603
        argv, cwd=ROOT, env=env, start_new_session=True, preexec_fn=functools.partial(_in_child, nice)
    )


def reap(children: dict[str, subprocess.Popen]) -> None:
    """Collect every exited child: ours (keeping their exit codes) and orphans adopted as subreaper."""
    ours = {child.pid: child for child in children.values()}
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        if pid in ours and ours[pid].returncode is None:
            ours[pid].returncode = os.waitstatus_to_exitcode(status)


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop(children: dict[str, subprocess.Popen], grace: float = GRACE_SECONDS) -> None:
    for child in children.values():
        if child.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                child.send_signal(signal.SIGTERM)  # once, to the main process only
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        reap(children)
        if not any(group_alive(child.pid) for child in children.values()):
            return
        time.sleep(POLL_SECONDS)
    for child in children.values():
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.pid, signal.SIGKILL)
    deadline = time.monotonic() + 1
    while time.monotonic() < deadline and any(group_alive(child.pid) for child in children.values()):
        reap(children)
        time.sleep(POLL_SECONDS)
    reap(children)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the web server and the worker; Ctrl-C stops both.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)

    stopping: list[int] = []

    def on_signal(signum, frame) -> None:
        stopping.append(signum)

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, on_signal)
    _prctl(PR_SET_CHILD_SUBREAPER, 1)

    children: dict[str, subprocess.Popen] = {}
    status = 0
    try:
        for name, argv_ in commands(args.host, args.port).items():
            if stopping:
                break
            children[name] = start(argv_, nice=NICENESS.get(name, 0))
        while not stopping:
            reap(children)
            ended = [name for name, child in children.items() if child.returncode is not None]
            if ended:
                print(f"{ended[0]} exited with status {children[ended[0]].returncode}: stopping.", file=sys.stderr)
                status = 1
                break
            time.sleep(0.2)
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)  # a second Ctrl-C must not interrupt the stop
        stop(children)
    return status


if __name__ == "__main__":
    sys.exit(main())
