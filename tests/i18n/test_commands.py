"""Every management command of the product answers --help (argparse needs real strings, not lazy translations)."""

import pytest
from django.core.management import call_command

COMMANDS = [
    "seed_demo",
    "seed_whatsapp_demo",
    "run_automations",
    "sync_whatsapp_templates",
    "import_zendesk",
    "refresh_insights",
]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("language", ["en", "de"])
def test_help_is_printed(command, language, capsys, settings):
    settings.LANGUAGE_CODE = language
    with pytest.raises(SystemExit) as exit_info:
        call_command(command, "--help")
    assert exit_info.value.code == 0
    assert len(capsys.readouterr().out) > 100
