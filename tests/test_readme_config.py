"""README's configuration table lists every environment variable the product reads."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("config", "tickets", "channels_whatsapp", "macros", "automations")
READS = (
    re.compile(r"""\benv(?:\.\w+)?\(\s*["']([A-Z][A-Z0-9_]+)["']"""),
    re.compile(r"""\bos\.environ(?:\.get|\.setdefault)?[\[(]\s*["']([A-Z][A-Z0-9_]+)["']"""),
    re.compile(r"""\bos\.getenv\(\s*["']([A-Z][A-Z0-9_]+)["']"""),
)


def variables_read() -> set[str]:
    found: set[str] = set()
    for package in PRODUCT:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            text = path.read_text()
            for pattern in READS:
                found.update(pattern.findall(text))
    return found


def configuration_section() -> str:
    readme = (ROOT / "README.md").read_text()
    start = readme.index("## Configuration")
    return readme[start : readme.index("\n## ", start + 1)]


def test_the_scan_finds_the_variables_it_should():
    found = variables_read()
    assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "REALTIME_RELAY_URL", "WEB_CONCURRENCY"} <= found


def test_every_environment_variable_is_in_the_configuration_table():
    section = configuration_section()
    missing = sorted(name for name in variables_read() if f"`{name}`" not in section)
    assert not missing, f"README.md's configuration table does not list: {', '.join(missing)}"
