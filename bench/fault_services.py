"""The PostgreSQL and Redis a fault drill may stop: private instances (a `benchfaults` cluster on port 5433, a
redis-server on port 6380) or, with --main-services, the machine's own; started again and checked after the drill."""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from pathlib import Path

from bench import processes

DB = "bench_faults"
PG_CLUSTER = ("15", "benchfaults", 5433)
REDIS_PORT = 6380


# --- Services --------------------------------------------------------------------------------------------------


class Services:
    def __init__(self, main: bool):
        self.main = main
        version = sorted(os.listdir("/etc/postgresql"))[-1] if Path("/etc/postgresql").exists() else "15"
        if main:
            self.pg = (version, "main", 5432)
            self.redis_port = 6379
        else:
            self.pg = (version, PG_CLUSTER[1], PG_CLUSTER[2])
            self.redis_port = REDIS_PORT
        self.redis_proc: processes.Proc | None = None

    @property
    def pg_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.pg[2]}"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/9"

    def pg_ctl(self, action: str) -> None:
        version, cluster, _ = self.pg
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", version, cluster, action], check=True, capture_output=True
        )

    def pg_ready(self) -> bool:
        return (
            subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", str(self.pg[2])], capture_output=True).returncode
            == 0
        )

    def redis_ready(self) -> bool:
        out = subprocess.run(["redis-cli", "-p", str(self.redis_port), "ping"], capture_output=True, text=True)
        return out.stdout.strip() == "PONG"

    def up(self) -> None:
        version, cluster, port = self.pg
        if not self.main and not Path(f"/etc/postgresql/{version}/{cluster}").exists():
            print(f"  creating the private PostgreSQL cluster {version}/{cluster} on port {port} (once)", flush=True)
            subprocess.run(
                [
                    "pg_createcluster",
                    version,
                    cluster,
                    "-p",
                    str(port),
                    "--",
                    "--auth-local=trust",
                    "--auth-host=trust",
                ],
                check=True,
                capture_output=True,
            )
        if not self.pg_ready():
            self.pg_ctl("start")
        self._wait(self.pg_ready, "PostgreSQL")
        if not self.redis_ready():
            self.redis_start()

    def redis_start(self) -> None:
        if self.main:
            subprocess.run(
                ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", "6379", "--save", ""],
                check=True,
                capture_output=True,
            )
        else:
            self.redis_proc = processes.start(
                "redis-faults",
                [
                    "redis-server",
                    "--bind",
                    "127.0.0.1",
                    "--port",
                    str(self.redis_port),
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ],
                dict(os.environ),
            )
            processes._started.remove(self.redis_proc)  # a service: stopped by restore(), not with the servers
        self._wait(self.redis_ready, "Redis")

    def redis_stop(self) -> None:
        subprocess.run(["redis-cli", "-p", str(self.redis_port), "shutdown", "nosave"], capture_output=True)
        if self.redis_proc is not None:
            with contextlib.suppress(Exception):
                self.redis_proc.popen.wait(10)
            processes._forget(self.redis_proc.pid)
            self.redis_proc = None
        self._wait(lambda: not self.redis_ready(), "Redis to stop")

    def restore(self) -> list[str]:
        """Start again whatever is down; then stop the private instances (the main ones stay up)."""
        notes = []
        if not self.pg_ready():
            self.pg_ctl("start")
            self._wait(self.pg_ready, "PostgreSQL")
            notes.append("PostgreSQL was down and was started again")
        if not self.redis_ready():
            self.redis_start()
            notes.append("Redis was down and was started again")
        notes.append(
            f"pg_isready: {'accepting connections' if self.pg_ready() else 'NOT READY'}; "
            f"redis-cli ping: {'PONG' if self.redis_ready() else 'NO ANSWER'}"
        )
        if not self.main:
            self.redis_stop()
            with contextlib.suppress(subprocess.CalledProcessError):
                self.pg_ctl("stop")
            notes.append("private PostgreSQL (5433) and Redis (6380) stopped")
        main_ok = subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", "5432"], capture_output=True).returncode == 0
        main_redis = subprocess.run(["redis-cli", "-p", "6379", "ping"], capture_output=True, text=True).stdout.strip()
        notes.append(f"machine's PostgreSQL 5432: {'up' if main_ok else 'DOWN'}; Redis 6379: {main_redis or 'DOWN'}")
        return notes

    @staticmethod
    def _wait(check, what: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check():
                return
            time.sleep(0.2)
        raise RuntimeError(f"timed out waiting for {what}")
