""".env.example documents every setting, with its real default, and nothing that is not one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from newsdesk.settings import Settings
from tests.deploy.deployfiles import ENV_EXAMPLE, NEWSDESK_VAR, env_example_assignments

SETTING_VARS = {f"NEWSDESK_{name.upper()}": name for name in Settings.model_fields}


def _shown(default: Any) -> str:
    if default is None:
        return ""
    if isinstance(default, SecretStr):
        return default.get_secret_value()
    return str(default)


def test_every_setting_is_documented() -> None:
    documented = set(env_example_assignments())
    missing = sorted(set(SETTING_VARS) - documented)
    assert not missing, f"add to .env.example: {missing}"


def test_every_documented_variable_is_a_real_setting() -> None:
    mentioned = set(NEWSDESK_VAR.findall(ENV_EXAMPLE.read_text(encoding="utf-8")))
    unknown = sorted(mentioned - set(SETTING_VARS))
    assert not unknown, f"not settings (typo or removed?): {unknown}"


def test_documented_defaults_are_the_real_defaults() -> None:
    wrong = {}
    for var, shown in env_example_assignments().items():
        default = Settings.model_fields[SETTING_VARS[var]].default
        if shown != _shown(default):
            wrong[var] = (shown, _shown(default))
    assert not wrong, f"(.env.example, settings.py): {wrong}"


def test_every_setting_has_an_explanation_above_it() -> None:
    lines = ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
    assert any(line.startswith("# NEWSDESK_") and "=" in line for line in lines)
    for number, line in enumerate(lines):
        if line.startswith("# NEWSDESK_") and "=" in line:
            above = lines[number - 1]
            assert above.startswith("# ") and "=" not in above.split()[1], (
                f"{line}: explain it on the line above"
            )


def test_copying_the_example_changes_nothing(tmp_path: Path) -> None:
    """`cp .env.example .env` gives exactly the defaults."""
    (tmp_path / ".env").write_text(ENV_EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    assert Settings() == Settings(_env_file=None)  # type: ignore[call-arg]


def test_uncommenting_every_line_gives_valid_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Uncommented as shown (empty = default), every line parses to the same Settings."""
    lines = [f"{var}={value}" for var, value in env_example_assignments().items()]
    (tmp_path / ".env").write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert Settings() == Settings(_env_file=None)  # type: ignore[call-arg]
