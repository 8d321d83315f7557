"""NEWSDESK_DISCORD_TOKEN_FILE: how the bot reads its token from a compose secret."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from newsdesk.settings import Settings


def _secret(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "discord_token"
    path.write_text(text, encoding="utf-8")
    return path


def test_token_is_read_from_the_file_named_by_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _secret(tmp_path, "abc.def.ghi\n")  # editors and `echo` add a newline
    monkeypatch.setenv("NEWSDESK_DISCORD_TOKEN_FILE", str(path))
    settings = Settings()
    assert settings.discord_token is not None
    assert settings.discord_token.get_secret_value() == "abc.def.ghi"
    assert "abc.def.ghi" not in repr(settings)  # still a SecretStr once read


def test_token_file_in_dotenv_is_honoured(tmp_path: Path) -> None:
    path = _secret(tmp_path, "from-dotenv-file")
    (tmp_path / ".env").write_text(f"NEWSDESK_DISCORD_TOKEN_FILE={path}\n", encoding="utf-8")
    settings = Settings()  # the autouse fixture runs every test from tmp_path
    assert settings.discord_token is not None
    assert settings.discord_token.get_secret_value() == "from-dotenv-file"


def test_plain_token_still_works_without_a_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSDESK_DISCORD_TOKEN", "plain")
    settings = Settings()
    assert settings.discord_token is not None
    assert settings.discord_token.get_secret_value() == "plain"
    assert settings.discord_token_file is None


def test_empty_token_variable_counts_as_unset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSDESK_DISCORD_TOKEN", "")
    assert Settings().discord_token is None
    monkeypatch.setenv("NEWSDESK_DISCORD_TOKEN_FILE", str(_secret(tmp_path, "t0k3n")))
    token = Settings().discord_token
    assert token is not None and token.get_secret_value() == "t0k3n"


def test_missing_file_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "nope" / "discord_token"
    monkeypatch.setenv("NEWSDESK_DISCORD_TOKEN_FILE", str(missing))
    with pytest.raises(ValidationError) as info:
        Settings()
    message = str(info.value)
    assert "cannot read NEWSDESK_DISCORD_TOKEN_FILE" in message
    assert str(missing) in message
    assert "create it" in message


def test_empty_file_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSDESK_DISCORD_TOKEN_FILE", str(_secret(tmp_path, " \n")))
    with pytest.raises(ValidationError, match="is empty"):
        Settings()


def test_token_and_token_file_together_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSDESK_DISCORD_TOKEN", "one")
    monkeypatch.setenv("NEWSDESK_DISCORD_TOKEN_FILE", str(_secret(tmp_path, "two")))
    with pytest.raises(ValidationError, match="not both"):
        Settings()


def test_empty_values_mean_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every line of .env.example may be uncommented with an empty value."""
    for name in ("DISCORD_TOKEN_FILE", "DISCORD_GUILD_ID", "CHROMA_URL", "TOP_K", "ANSWERER"):
        monkeypatch.setenv(f"NEWSDESK_{name}", "")
    settings = Settings()
    assert settings.discord_token_file is None
    assert settings.chroma_url is None
    assert settings.top_k == Settings.model_fields["top_k"].default
    assert settings.answerer == "extractive"
