"""The deployment docs say what the files do: names, commands, versions and settings agree."""

from __future__ import annotations

import re
from typing import Any

import pytest

from newsdesk.cli import _COMMANDS
from newsdesk.settings import Settings
from tests.deploy.deployfiles import (
    NEWSDESK_VAR,
    PROJECT_ROOT,
    load_compose,
    service_environment,
)

README = PROJECT_ROOT / "README.md"
DEPLOYMENT = PROJECT_ROOT / "docs" / "deployment.md"
SCALING = PROJECT_ROOT / "docs" / "scaling.md"
SETTING_VARS = {f"NEWSDESK_{name.upper()}" for name in Settings.model_fields}


def _section(text: str, heading: str) -> str:
    start = text.index(heading)
    rest = text[start + len(heading) :]
    following = re.search(r"^## ", rest, flags=re.MULTILINE)
    return rest[: following.start()] if following else rest


@pytest.fixture(scope="module")
def docker_docs() -> str:
    readme = README.read_text(encoding="utf-8")
    return (
        _section(readme, "## Run with Docker")
        + _section(readme, "## Run the same services by hand")
        + DEPLOYMENT.read_text(encoding="utf-8")
    )


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    return load_compose()["services"]


def test_every_service_and_image_is_described(docker_docs: str, services: dict[str, Any]) -> None:
    assert services
    for name, service in services.items():
        assert f"`{name}`" in docker_docs, name
        if "image" in service and name in ("chroma", "ollama"):
            assert service["image"] in docker_docs, service["image"]


def test_documented_compose_commands_use_real_services_and_profiles(
    docker_docs: str, services: dict[str, Any]
) -> None:
    commands = re.findall(r"docker compose ([^`\n#]+)", docker_docs)
    assert commands
    profiles = {p for s in services.values() for p in s.get("profiles", [])}
    for command in commands:
        words = command.split()
        for flag, value in zip(words, words[1:], strict=False):
            if flag == "--profile":
                assert value in profiles, command
        for verb in ("exec", "run"):
            if verb in words:
                target = [w for w in words[words.index(verb) + 1 :] if not w.startswith("-")][0]
                assert target in services, command


def test_documented_pull_is_the_default_model(docker_docs: str, services: dict[str, Any]) -> None:
    model = service_environment(services["bot"])["NEWSDESK_LLM_MODEL"]
    assert model == Settings.model_fields["llm_model"].default
    pulls = re.findall(r"ollama pull ([\w.:-]*[\w])", docker_docs)
    assert pulls and set(pulls) == {model}


def _code(markdown: str) -> str:
    """Fenced blocks and inline code spans: where commands are written."""
    fenced = re.findall(r"```[a-z]*\n(.*?)```", markdown, flags=re.DOTALL)
    without = re.sub(r"```.*?```", "", markdown, flags=re.DOTALL)
    return "\n".join(fenced + re.findall(r"`([^`\n]+)`", without))


def test_documented_newsdesk_commands_exist(docker_docs: str) -> None:
    used = set(re.findall(r"(?<![\w/:-])newsdesk ([a-z-]+)", _code(docker_docs)))
    assert {"bot", "health", "index", "ask"} <= used
    assert used <= set(_COMMANDS), sorted(used - set(_COMMANDS))


def test_documented_settings_are_real(docker_docs: str) -> None:
    mentioned = set(NEWSDESK_VAR.findall(docker_docs))
    assert mentioned
    assert mentioned <= SETTING_VARS, sorted(mentioned - SETTING_VARS)


def test_validation_table_names_existing_tests() -> None:
    text = DEPLOYMENT.read_text(encoding="utf-8")
    named = set(re.findall(r"`(test_[a-z_]+\.py)`", text))
    assert named
    for name in named:
        assert (PROJECT_ROOT / "tests" / "deploy" / name).is_file(), name


def test_scaling_doc_labels_its_numbers() -> None:
    text = SCALING.read_text(encoding="utf-8")
    assert "[bench]" in text and "[stack-facts]" in text
    for line in text.splitlines():
        if line.startswith("| ") and re.search(r"\d+(\.\d+)? ?(ms|chunks/s|MiB|%)", line):
            assert "[bench]" in line or "[stack-facts]" in line, line
