"""With DEBUG=false: cookies secure, HTTPS enforced, no simulator, throttles on, and `check --deploy` clean."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "x" * 20 + "-a-long-random-production-secret-0123456789",
    "ALLOWED_HOSTS": "desk.example.com",
}
# Settings this file checks the defaults of: a developer's environment must not change them here.
OVERRIDABLE = {
    "DJANGO_SETTINGS_MODULE",
    "ACCOUNT_REDACT_CREDIT_CARDS",
    "API_THROTTLE_ANON",
    "API_THROTTLE_USER",
    "LOGIN_FAILURE_LIMIT",
    "SECURE_HSTS_SECONDS",
    "SECURE_SSL_REDIRECT",
    "WHATSAPP_SIMULATOR_ENABLED",
}


def production_env() -> dict:
    return {k: v for k, v in os.environ.items() if k not in OVERRIDABLE} | PRODUCTION


def production_settings() -> dict:
    code = (
        "import django,json,os;os.environ['DJANGO_SETTINGS_MODULE']='config.settings.production';django.setup();"
        "from django.conf import settings as s;"
        "print(json.dumps({k: getattr(s, k, None) for k in ("
        "'SESSION_COOKIE_SECURE','SESSION_COOKIE_HTTPONLY','CSRF_COOKIE_SECURE','SECURE_SSL_REDIRECT',"
        "'SECURE_HSTS_SECONDS','SECURE_CONTENT_TYPE_NOSNIFF','X_FRAME_OPTIONS','WHATSAPP_SIMULATOR_ENABLED',"
        "'LOGIN_FAILURE_LIMIT','ACCOUNT_REDACT_CREDIT_CARDS')} | {"
        "'throttles': s.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES'],"
        "'throttle_classes': s.REST_FRAMEWORK['DEFAULT_THROTTLE_CLASSES']}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=production_env(), capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_production_hardening():
    s = production_settings()
    assert s["SESSION_COOKIE_SECURE"] is True
    assert s["SESSION_COOKIE_HTTPONLY"] is True
    assert s["CSRF_COOKIE_SECURE"] is True
    assert s["SECURE_SSL_REDIRECT"] is True
    assert s["SECURE_HSTS_SECONDS"] >= 31536000
    assert s["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert s["X_FRAME_OPTIONS"] == "DENY"
    assert s["WHATSAPP_SIMULATOR_ENABLED"] is False  # the simulator (and its fake Graph API) is a development tool
    assert s["LOGIN_FAILURE_LIMIT"] == 5
    assert s["ACCOUNT_REDACT_CREDIT_CARDS"] is False  # off unless the account turns it on
    assert s["throttles"] == {"anon": "120/minute", "user": "1200/minute"}
    assert s["throttle_classes"] == ["tickets.throttling.AnonRateThrottle", "tickets.throttling.UserRateThrottle"]


def test_check_deploy_is_clean():
    out = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "no issues" in out.stdout
