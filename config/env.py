"""The one place the environment is read. Everything else imports `env` or the settings."""

import contextlib
import os
import secrets
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
DEVELOPMENT_SECRET_KEY_FILE = BASE_DIR / "var" / "secret_key"

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def development_secret_key(path: Path = DEVELOPMENT_SECRET_KEY_FILE) -> str:
    """This install's own random key (only used while DEBUG is true and SECRET_KEY is unset).

    Created once, mode 0600, in the git-ignored var/: never a constant that anyone could read in the source. Several
    processes may start at once (`make run` starts daphne and the worker together): the file appears atomically
    (written aside, then hard-linked into place), so every process reads the same key.
    """
    try:
        key = path.read_text().strip()
    except FileNotFoundError:
        key = ""
    if key:
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    aside = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50) + "\n")
        with contextlib.suppress(FileExistsError):  # another process won the race: use its key
            os.link(aside, path)
    finally:
        aside.unlink(missing_ok=True)
    key = path.read_text().strip()
    if not key:
        raise RuntimeError(f"{path} is empty: delete it and start again.")
    return key
