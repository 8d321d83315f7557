"""docker-compose.yml: valid against the compose specification and consistent with the code.

No Docker engine runs here; these checks catch what `docker compose config` and a first
`docker compose up` would catch, plus drift between compose, settings and the CLI.
"""

from __future__ import annotations

import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from newsdesk.settings import Settings
from tests.deploy.deployfiles import (
    COMPOSE_FILE,
    NEWSDESK_VAR,
    PROJECT_ROOT,
    interpolate,
    interpolation_names,
    load_compose,
    service_environment,
    walk_strings,
)

CHECK_JSONSCHEMA = Path(sys.executable).parent / "check-jsonschema"
SETTING_VARS = {f"NEWSDESK_{name.upper()}" for name in Settings.model_fields}


def _validate(path: Path) -> subprocess.CompletedProcess[str]:
    assert CHECK_JSONSCHEMA.exists(), "check-jsonschema missing: install the dev extra"
    return subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.compose-spec", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_compose()


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    return compose["services"]


# --- the compose specification -------------------------------------------------------------


def test_compose_file_matches_the_compose_spec() -> None:
    result = _validate(COMPOSE_FILE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok" in result.stdout


def test_the_spec_check_rejects_a_broken_file(tmp_path: Path) -> None:
    """The validator is live: a wrong depends_on condition and a misspelt key are refused."""
    data = load_compose()
    data["services"]["bot"]["depends_on"]["chroma"]["condition"] = "service_ready"
    data["services"]["chroma"]["healthcheck"]["intervall"] = "10s"
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = _validate(broken)
    assert result.returncode != 0
    assert "'service_ready' is not one of" in result.stdout
    assert "'intervall' does not match" in result.stdout


# --- services ---------------------------------------------------------------------------------


def test_the_four_services_exist(services: dict[str, Any]) -> None:
    assert set(services) == {"chroma", "ollama", "bot", "indexer"}


def test_every_depends_on_names_a_defined_service(services: dict[str, Any]) -> None:
    assert any(s.get("depends_on") for s in services.values())
    for name, service in services.items():
        deps = service.get("depends_on") or {}
        for dep in deps if isinstance(deps, list) else deps.keys():
            assert dep in services, f"{name} depends on undefined service {dep}"
            assert dep != name


def test_bot_and_indexer_wait_for_a_healthy_chroma(services: dict[str, Any]) -> None:
    for name in ("bot", "indexer"):
        assert services[name]["depends_on"]["chroma"]["condition"] == "service_healthy"
    # service_healthy is only meaningful if chroma has a healthcheck
    assert services["chroma"]["healthcheck"]["test"]


def test_chroma_image_matches_the_chromadb_client() -> None:
    services = load_compose()["services"]
    image = services["chroma"]["image"]
    assert image == f"chromadb/chroma:{version('chromadb')}"


def test_ollama_image_is_official_and_pinned(services: dict[str, Any]) -> None:
    repository, _, tag = services["ollama"]["image"].partition(":")
    assert repository == "ollama/ollama"
    assert tag and tag != "latest"


def test_persistent_volumes(services: dict[str, Any]) -> None:
    assert "chroma-data:/data" in services["chroma"]["volumes"]  # the image's persist_path
    assert "ollama-models:/root/.ollama" in services["ollama"]["volumes"]
    assert "newsdesk-data:/data" in services["bot"]["volumes"]


def test_every_named_volume_is_declared(compose: dict[str, Any]) -> None:
    declared = set(compose.get("volumes") or {})
    used: set[str] = set()
    for service in compose["services"].values():
        for volume in service.get("volumes", []):
            source = interpolate(volume if isinstance(volume, str) else volume["source"])
            source = source.split(":", 1)[0]
            if not source.startswith((".", "/", "~")):  # bind mounts are paths
                used.add(source)
    assert used == declared, f"used {sorted(used)} vs declared {sorted(declared)}"


def test_every_secret_is_declared_and_kept_out_of_git_and_images(compose: dict[str, Any]) -> None:
    declared = compose.get("secrets") or {}
    assert any(s.get("secrets") for s in compose["services"].values())
    for name, service in compose["services"].items():
        for secret in service.get("secrets", []):
            secret_name = secret if isinstance(secret, str) else secret["source"]
            assert secret_name in declared, f"{name} uses undeclared secret {secret_name}"
    token_file = declared["discord_token"]["file"]
    assert token_file.startswith("./secrets/")
    assert "secrets/" in (PROJECT_ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert "secrets/" in (PROJECT_ROOT / ".dockerignore").read_text(encoding="utf-8").split()


def test_bot_reads_the_token_from_the_secret(services: dict[str, Any]) -> None:
    bot = services["bot"]
    env = service_environment(bot)
    assert "discord_token" in bot["secrets"]
    assert env["NEWSDESK_DISCORD_TOKEN_FILE"] == "/run/secrets/discord_token"
    assert "NEWSDESK_DISCORD_TOKEN" not in env  # never the token itself in compose


def test_service_urls_point_at_compose_services(services: dict[str, Any]) -> None:
    for name in ("bot", "indexer"):
        env = service_environment(services[name])
        chroma = urlsplit(env["NEWSDESK_CHROMA_URL"])
        assert (chroma.hostname, chroma.port) == ("chroma", 8000)
        ollama = urlsplit(env["NEWSDESK_OLLAMA_URL"])
        assert (ollama.hostname, ollama.port) == ("ollama", 11434)
    # the container ports those URLs use are the ones the services publish
    assert services["chroma"]["ports"][0].endswith(":8000")
    assert services["ollama"]["ports"][0].endswith(":11434")


def test_published_ports_are_loopback_only(services: dict[str, Any]) -> None:
    assert any(s.get("ports") for s in services.values())
    for name, service in services.items():
        for port in service.get("ports", []):
            assert interpolate(str(port)).startswith("127.0.0.1:"), f"{name} publishes {port}"


def test_indexer_is_a_profiled_one_shot_over_a_read_only_corpus(services: dict[str, Any]) -> None:
    indexer = services["indexer"]
    assert indexer["profiles"] == ["indexer"]
    assert indexer["command"] == ["newsdesk", "index", "build"]
    assert indexer.get("restart", "no") == "no"
    env = service_environment(indexer)
    mounts = [interpolate(v) for v in indexer["volumes"]]
    corpus_mounts = [m for m in mounts if m.split(":")[1] == env["NEWSDESK_CORPUS_DIR"]]
    assert corpus_mounts == ["./corpus:/corpus:ro"]
    assert (PROJECT_ROOT / "corpus").is_dir()
    moved = interpolate(indexer["volumes"][0], {"CORPUS_HOST_DIR": "/srv/news"})
    assert moved == "/srv/news:/corpus:ro"


def test_bot_sees_the_same_corpus_as_the_indexer(services: dict[str, Any]) -> None:
    """/reindex in Discord rebuilds from what the indexer service indexes."""
    bot, indexer = services["bot"], services["indexer"]
    corpus = service_environment(indexer)["NEWSDESK_CORPUS_DIR"]
    assert service_environment(bot)["NEWSDESK_CORPUS_DIR"] == corpus
    mounts = {v for v in indexer["volumes"] if interpolate(v).split(":")[1] == corpus}
    assert mounts and mounts <= set(bot["volumes"])


def test_every_service_rotates_its_logs(services: dict[str, Any]) -> None:
    assert services
    for name, service in services.items():
        logging = service.get("logging", {})
        assert logging.get("driver") == "json-file", name
        assert logging["options"]["max-size"], name


def test_bot_uses_one_torch_thread_by_default(services: dict[str, Any]) -> None:
    assert service_environment(services["bot"])["OMP_NUM_THREADS"] == "1"
    assert service_environment(services["bot"], {"BOT_TORCH_THREADS": "2"})["OMP_NUM_THREADS"] == "2"
    assert "OMP_NUM_THREADS" not in service_environment(services["indexer"])


def test_long_running_services_restart(services: dict[str, Any]) -> None:
    for name in ("chroma", "ollama", "bot"):
        assert services[name]["restart"] in ("unless-stopped", "always"), name


def test_bot_runs_the_bot_command_of_the_cli(services: dict[str, Any]) -> None:
    from newsdesk.cli import _COMMANDS

    for name in ("bot", "indexer"):
        command = services[name]["command"]
        assert command[0] == "newsdesk"
        assert command[1] in _COMMANDS, f"{name} runs unknown subcommand {command[1]}"
    assert services["bot"]["build"]["dockerfile"] == "Dockerfile"
    assert (PROJECT_ROOT / services["bot"]["build"]["context"] / "Dockerfile").is_file()


# --- settings ------------------------------------------------------------------------------


def test_every_newsdesk_variable_in_compose_is_a_real_setting() -> None:
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    mentioned = set(NEWSDESK_VAR.findall(text))
    assert mentioned, "compose sets no NEWSDESK_* variable?"
    assert mentioned <= SETTING_VARS, f"not settings: {sorted(mentioned - SETTING_VARS)}"
    for name in interpolation_names(text):
        if name.startswith("NEWSDESK_"):
            assert name in SETTING_VARS


def test_compose_only_variables_are_documented_with_their_defaults() -> None:
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    example = (PROJECT_ROOT / ".env.example").read_text(encoding="utf-8")
    others = {n for n in interpolation_names(text) if not n.startswith("NEWSDESK_")}
    assert others
    for name in others:
        default = re.search(r"\$\{" + name + r":-([^}]*)\}", text)
        assert default, f"{name} has no default in docker-compose.yml"
        assert f"# {name}={default.group(1)}" in example, f"document {name} in .env.example"


def test_compose_environment_is_valid_settings(
    services: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """What the containers get parses as Settings (token file swapped for a temp one)."""
    secret = tmp_path / "discord_token"
    secret.write_text("token\n", encoding="utf-8")
    for name in ("bot", "indexer"):
        for key, value in service_environment(services[name]).items():
            monkeypatch.setenv(key, str(secret) if key.endswith("_TOKEN_FILE") else value)
        settings = Settings()
        assert settings.chroma_url == "http://chroma:8000"
        assert settings.ollama_url == "http://ollama:11434"
        assert settings.answerer == "ollama"  # the compose default, overridable from .env
        assert str(settings.data_dir) == "/data"
    assert settings.discord_token is not None


def test_compose_defaults_can_be_overridden_from_dotenv(services: dict[str, Any]) -> None:
    env = service_environment(services["bot"], {"NEWSDESK_ANSWERER": "extractive"})
    assert env["NEWSDESK_ANSWERER"] == "extractive"
    assert services["bot"]["env_file"] == [{"path": ".env", "required": False}]


def test_no_unescaped_dollar_in_healthchecks(services: dict[str, Any]) -> None:
    """A shell `$var` must be written `$$var`, or compose substitutes it (usually with '')."""
    assert any(s.get("healthcheck", {}).get("test") for s in services.values())
    for name, service in services.items():
        for text in walk_strings(service.get("healthcheck", {}).get("test", [])):
            stripped = text.replace("$$", "")
            assert "$" not in stripped, f"{name} healthcheck has an unescaped $: {text!r}"
