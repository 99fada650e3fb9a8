"""Any current Python (3.11, 3.12, 3.13) installs and runs SupportDesk; `make` picks the newest one it finds."""

import os
import stat
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CANDIDATES = ("python3.13", "python3.12", "python3.11", "python3")


def test_requires_python_has_no_upper_bound_below_3_14():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=3.11"


def fake_pythons(folder: Path, fitting: set[str]) -> None:
    """Stand-ins for each candidate: the version check (`-c ...`) succeeds only for the fitting ones; a missing
    version behaves like a pyenv shim whose version is not installed (exit 127)."""
    for name in CANDIDATES:
        script = folder / name
        code = 0 if name in fitting else (1 if name == "python3" else 127)
        script.write_text(f"#!/bin/sh\nexit {code}\n")
        script.chmod(script.stat().st_mode | stat.S_IXUSR)


def make(folder: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE") and k != "PYTHON"}
    env["PATH"] = f"{folder}:/usr/bin:/bin"
    return subprocess.run(
        ["make", *args, f"VENV={folder}/no-venv"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize(
    ("fitting", "chosen"),
    [
        ({"python3.13", "python3.12", "python3.11", "python3"}, "python3.13"),
        ({"python3.12", "python3.11"}, "python3.12"),
        ({"python3.11"}, "python3.11"),
        ({"python3"}, "python3"),  # e.g. Debian's python3 is 3.12 or 3.13 and no versioned name is installed
    ],
)
def test_make_uses_the_newest_fitting_python(tmp_path, fitting, chosen):
    fake_pythons(tmp_path, fitting)
    dry = make(tmp_path, "-n", "venv")
    assert f"{tmp_path}/{chosen} -m venv {tmp_path}/no-venv" in dry.stdout, dry.stdout + dry.stderr


def test_make_says_which_versions_are_needed_when_none_fits(tmp_path):
    fake_pythons(tmp_path, fitting=set())  # python3 is too old, the versioned ones are missing
    result = make(tmp_path, "venv")
    assert result.returncode != 0
    assert "needs Python 3.11, 3.12 or 3.13" in result.stderr
    assert not (tmp_path / "no-venv").exists()  # nothing was installed
