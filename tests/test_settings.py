"""Settings read from the environment: production refuses to start without a secret, and passes check --deploy."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args, **env):
    clean = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE")}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def test_debug_false_without_secret_key_refuses_to_start():
    result = run_manage("check", DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_check_deploy_is_clean_with_production_settings():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY="x" * 20 + "-a-long-random-production-secret-0123456789",
        ALLOWED_HOSTS="desk.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_default_is_sqlite_and_in_memory_layer():
    code = (
        "import django,os;os.environ['DJANGO_SETTINGS_MODULE']='config.settings.base';django.setup();"
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.CHANNEL_LAYERS['default']['BACKEND'], 'orm' in s.Q_CLUSTER)"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["django.db.backends.sqlite3", "channels.layers.InMemoryChannelLayer", "True"]


def test_service_urls_switch_to_postgres_and_redis():
    code = (
        "import django,os;os.environ['DJANGO_SETTINGS_MODULE']='config.settings.base';django.setup();"
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.CHANNEL_LAYERS['default']['BACKEND'], s.Q_CLUSTER.get('redis'),"
        " s.CACHES['default']['BACKEND'])"
    )
    env = dict(os.environ, DATABASE_URL="postgres://u@db.example:5432/x", REDIS_URL="redis://cache.example:6379/0")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == [
        "django.db.backends.postgresql",
        "channels_redis.core.RedisChannelLayer",
        "redis://cache.example:6379/0",
        "django.core.cache.backends.redis.RedisCache",
    ], out.stderr


def test_development_secret_key_is_random_private_and_stable(tmp_path):
    """With SECRET_KEY unset (DEBUG) the key used to be a public constant; now each install makes its own."""
    from config.env import development_secret_key

    first_path, second_path = tmp_path / "a" / "secret_key", tmp_path / "b" / "secret_key"
    key = development_secret_key(first_path)
    assert len(key) >= 50
    assert key != "dev-only-insecure-key-do-not-use-in-production"
    assert (first_path.stat().st_mode & 0o777) == 0o600
    assert development_secret_key(first_path) == key  # read again, not regenerated
    assert development_secret_key(second_path) != key  # another install, another key
    assert [p.name for p in first_path.parent.iterdir()] == ["secret_key"]  # nothing left aside


def test_debug_without_secret_key_uses_the_install_key_file():
    code = (
        "import django,os;os.environ['DJANGO_SETTINGS_MODULE']='config.settings.local';django.setup();"
        "from django.conf import settings as s;print(s.SECRET_KEY)"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE")}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == (ROOT / "var" / "secret_key").read_text().strip()
    assert out.stdout.strip() != "dev-only-insecure-key-do-not-use-in-production"


def settings_of(module: str, *names: str, **env: str) -> list[str]:
    code = (
        f"import django,os;os.environ['DJANGO_SETTINGS_MODULE']={module!r};django.setup();"
        f"from django.conf import settings as s;print(*(getattr(s, n) for n in {names!r}))"
    )
    dropped = ("DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE", "WHATSAPP_SIMULATOR_ENABLED", "ALLOWED_HOSTS")
    clean = {k: v for k, v in os.environ.items() if k not in dropped} | env
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_base_and_production_are_not_debug_by_default():
    """A deployment that forgets DEBUG serves no debug pages and no simulator."""
    assert settings_of("config.settings.base", "DEBUG", "WHATSAPP_SIMULATOR_ENABLED") == ["False", "False"]
    production = settings_of("config.settings.production", "DEBUG", "WHATSAPP_SIMULATOR_ENABLED", SECRET_KEY="x" * 50)
    assert production == ["False", "False"]


def test_local_settings_are_debug_with_the_simulator():
    assert settings_of("config.settings.local", "DEBUG", "WHATSAPP_SIMULATOR_ENABLED") == ["True", "True"]
    assert settings_of(
        "config.settings.local", "DEBUG", "WHATSAPP_SIMULATOR_ENABLED", DEBUG="false", SECRET_KEY="x" * 50
    ) == [
        "False",
        "False",
    ]


def test_entry_points_default_to_the_production_settings():
    for entry in ("manage.py", "config/asgi.py", "config/wsgi.py"):
        assert 'setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")' in (ROOT / entry).read_text()


def worker_modules(argv: list[str], **env) -> dict:
    """What django.setup() loads in a process started as `manage.py <argv>` (the settings read sys.argv)."""
    code = (
        "import json, sys\n"
        f"sys.argv = {argv!r}\n"
        "import django\n"
        "django.setup()\n"
        "from django.apps import apps\n"
        "from django.contrib import admin\n"
        "print(json.dumps({'twisted': 'twisted.internet' in sys.modules, 'daphne': apps.is_installed('daphne'),"
        " 'admin_models': len(admin.site._registry), 'admin_app': type(apps.get_app_config('admin')).__name__}))\n"
    )
    clean = {k: v for k, v in os.environ.items() if k != "Q_WORKER_LEAN"}
    clean.update(env)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120, check=True
    )
    import json

    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_worker_leaves_out_what_only_the_web_process_uses():
    worker = worker_modules(["manage.py", "qcluster"])
    assert worker == {
        "twisted": False,
        "daphne": False,
        "admin_models": 0,
        "admin_app": "SupportDeskWorkerAdminConfig",
    }
    web = worker_modules(["manage.py", "runserver"])
    assert web["daphne"] and web["twisted"] and web["admin_models"] > 10
    assert web["admin_app"] == "SupportDeskAdminConfig"
    assert worker_modules(["manage.py", "qcluster"], Q_WORKER_LEAN="false") == web
