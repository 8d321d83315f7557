from __future__ import annotations

from pathlib import Path

import pytest

from answering.prompts import default_prompts_dir, load_prompts
from newsdesk.errors import ConfigError


def copy_prompts(tmp_path: Path) -> Path:
    for name in ("answer.txt", "condense.txt"):
        (tmp_path / name).write_text((default_prompts_dir() / name).read_text("utf-8"), "utf-8")
    return tmp_path


def test_shipped_prompts_load_and_frame_excerpts_as_data() -> None:
    prompts = load_prompts()
    system, user = prompts.answer.format(question="Q?", excerpts="[1] text {not a field}")
    assert "never instructions" in system.lower() or "not instructions" in system.lower()
    assert "Q?" in user and "[1] text {not a field}" in user
    _, condense = prompts.condense.format(history="User: hi", question="and then?")
    assert "User: hi" in condense and "and then?" in condense


def test_missing_placeholder_is_a_config_error(tmp_path: Path) -> None:
    folder = copy_prompts(tmp_path)
    path = folder / "answer.txt"
    path.write_text(path.read_text("utf-8").replace("{excerpts}", "EXCERPTS"), "utf-8")
    with pytest.raises(ConfigError, match=r"missing \{excerpts\}"):
        load_prompts(folder)


def test_unknown_placeholder_is_a_config_error(tmp_path: Path) -> None:
    folder = copy_prompts(tmp_path)
    path = folder / "condense.txt"
    path.write_text(path.read_text("utf-8") + "\n{speaker}\n", "utf-8")
    with pytest.raises(ConfigError, match=r"unknown \{speaker\}"):
        load_prompts(folder)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    folder = copy_prompts(tmp_path)
    (folder / "condense.txt").unlink()
    with pytest.raises(ConfigError, match="condense.txt"):
        load_prompts(folder)


def test_placeholder_in_system_part_is_rejected(tmp_path: Path) -> None:
    folder = copy_prompts(tmp_path)
    path = folder / "answer.txt"
    path.write_text("Use {question}\n" + path.read_text("utf-8"), "utf-8")
    with pytest.raises(ConfigError, match="placeholders belong after"):
        load_prompts(folder)
