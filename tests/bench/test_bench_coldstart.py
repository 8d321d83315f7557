"""The cold-start bench's bookkeeping: commands, medians, import tables.

Nothing here is timed.
"""

from __future__ import annotations

from pathlib import Path

from bench.coldstart import BOT_SCRIPT, QUESTION, _import_tables, commands, medians
from bench.results import Section


def test_cold_start_commands_and_medians(tmp_path: Path) -> None:
    cmds = commands(tmp_path)
    assert cmds["ask"][-3:] == ["ask", "--json", QUESTION] and cmds["bot"][-1] == QUESTION
    assert "build_bot_deps" in BOT_SCRIPT and "os._exit" in BOT_SCRIPT
    compile(BOT_SCRIPT, "<bot>", "exec")
    records = [{"tree": "baseline", "path": "ask", "s": s} for s in (20.0, 12.0, 14.0)] + [
        {"tree": "current", "path": "ask", "s": s} for s in (11.0, 9.0)
    ]
    assert medians(records) == {("baseline", "ask"): 14.0, ("current", "ask"): 10.0}


def test_import_tables_compare_trees_and_flag_watched_packages() -> None:
    sec = Section(name="coldstart", title="t", when="now", load_avg=[], command="")
    profiles = {
        ("baseline", "ask"): ({"torch": 300.0, "langchain_huggingface": 50.0, "langsmith": 40.0}, 400.0),
        ("current", "ask"): ({"torch": 290.0, "langsmith": 40.0}, 340.0),
        ("baseline", "bot"): ({"torch": 300.0}, 300.0),
        ("current", "bot"): ({"torch": 280.0}, 280.0),
    }
    _import_tables(sec, profiles, ["baseline", "current"])
    ask = sec.tables[0]
    assert ask["headers"] == ["package", "baseline ms", "current ms", "current % of imports"]
    rows = {r[0]: r for r in ask["rows"]}
    assert rows["langchain_huggingface"][1:3] == ["50.0", "0.00"]  # gone from the current tree
    assert rows["**all imports**"][1:3] == ["400.0", "340.0"]
    watched = {r[0]: r[1] for r in sec.rows}
    assert "langchain_huggingface" in watched["`ask`: watched packages not imported"]
    assert "langsmith" not in watched["`ask`: watched packages not imported"]
