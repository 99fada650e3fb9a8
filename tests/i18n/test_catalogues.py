"""The translation catalogues are complete, current and compiled.

`make test` fails when a German entry is missing or fuzzy, when a translation drops or invents a placeholder, when
a compiled .mo lags behind its .po, or when the source holds a marked string the catalogue does not have (that last
check extracts the strings with GNU gettext's xgettext, which `manage.py makemessages` needs too).
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
SHIPPED = [code for code, _ in settings.LANGUAGES if code != "en"]
DOMAINS = ("django", "djangojs")
# Python's %-style and str.format-style placeholders, JavaScript's interpolate() ones.
PLACEHOLDER = re.compile(r"%\([a-z_0-9]+\)[sdfr]|%[sdfr]|\{[a-z_0-9]*\}")
SOURCE_DIRS = ("config", "tickets", "channels_whatsapp", "macros", "automations", "templates", "static")


def catalogue(language: str, domain: str) -> polib.POFile:
    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{domain}.po"
    assert path.exists(), f"{path.relative_to(settings.BASE_DIR)} is missing"
    return polib.pofile(str(path))


def label(entry: polib.POEntry) -> str:
    return f"{entry.msgctxt + ' | ' if entry.msgctxt else ''}{entry.msgid!r}"


@pytest.mark.parametrize("language", SHIPPED)
@pytest.mark.parametrize("domain", DOMAINS)
def test_every_entry_is_translated_and_none_is_fuzzy(language, domain):
    po = catalogue(language, domain)
    assert len(po) > 0
    assert [label(entry) for entry in po.untranslated_entries()] == []
    assert [label(entry) for entry in po.fuzzy_entries()] == []


@pytest.mark.parametrize("language", SHIPPED)
@pytest.mark.parametrize("domain", DOMAINS)
def test_translations_keep_every_placeholder(language, domain):
    wrong = []
    for entry in po_entries(catalogue(language, domain)):
        expected = sorted(PLACEHOLDER.findall(entry.msgid))
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for translation in translations:
            found = sorted(PLACEHOLDER.findall(translation))
            # A plural's singular may say "one" instead of %(count)s; it must not bring a placeholder of its own.
            if found != expected and not (entry.msgid_plural and set(found) < set(expected)):
                wrong.append((label(entry), translation))
    assert wrong == []


def po_entries(po: polib.POFile) -> list[polib.POEntry]:
    return [entry for entry in po if not entry.obsolete]


@pytest.mark.parametrize("language", SHIPPED)
@pytest.mark.parametrize("domain", DOMAINS)
def test_the_compiled_catalogue_matches_its_source(language, domain):
    mo_path = LOCALE_DIR / language / "LC_MESSAGES" / f"{domain}.mo"
    assert mo_path.exists(), f"{mo_path.name} is missing: run `make messages`"
    compiled = {(entry.msgctxt, entry.msgid): entry.msgstr or entry.msgstr_plural for entry in polib.mofile(mo_path)}
    source = {
        (entry.msgctxt, entry.msgid): entry.msgstr or {int(k): v for k, v in entry.msgstr_plural.items()}
        for entry in po_entries(catalogue(language, domain))
        if entry.translated()
    }
    compiled.pop((None, ""), None)  # the header
    assert compiled == source, "the .mo is older than the .po: run `make messages`"


@pytest.mark.skipif(not shutil.which("xgettext"), reason="needs GNU gettext's xgettext (apt-get install gettext)")
@pytest.mark.parametrize("domain", DOMAINS)
def test_the_catalogue_has_every_marked_string_of_the_source(domain, tmp_path):
    """Extract the marked strings from a copy of the source, as `make messages` does, and compare the ids."""
    root = Path(settings.BASE_DIR)
    for name in (*SOURCE_DIRS, "manage.py"):
        source = root / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "vendor"))
        else:
            shutil.copy2(source, tmp_path / name)
    (tmp_path / "locale").mkdir()
    command = [sys.executable, "manage.py", "makemessages", "--locale=de", f"--domain={domain}", "--no-obsolete"]
    command += ["--ignore=static/vendor/*", "--no-location"]
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    done = subprocess.run(command, cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    extracted = polib.pofile(str(tmp_path / "locale" / "de" / "LC_MESSAGES" / f"{domain}.po"))
    shipped = catalogue("de", domain)
    ids = {(entry.msgctxt, entry.msgid) for entry in po_entries(shipped)}
    missing = sorted(label(entry) for entry in extracted if (entry.msgctxt, entry.msgid) not in ids)
    assert missing == [], "marked in the source but not in the catalogue: run `make messages` and translate"
