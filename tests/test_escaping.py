"""User text cannot drive the terminal or inject Markdown: every terminal path (text reports,
explanations, error lines on stderr, exercise play and score, rules show, batch tables) and every
Markdown renderer (debrief, rules show) is fed a hostile title, name, key or rule title."""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from scaleup.cli.main import main
from scaleup.errors import Problem
from scaleup.exercise.load import load_exercise
from scaleup.exercise.play import play
from scaleup.render.markdown import esc
from scaleup.safetext import terminal

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "tests" / "fixtures" / "exercises"
CYCLONE = ROOT / "scenarios" / "cyclone-coastal.yaml"

# clear screen, an OSC 8 hyperlink, an OSC 52 clipboard write, BEL, a bidi override, a line
# separator, a forged error line, a carriage return, HTML, a javascript: link, a heading, a cell
HOSTILE = ("\x1b[2J\x1b]8;;http://evil.example\x07link\x1b]8;;\x07\x1b]52;c;ZXZpbA==\x07\u202eevil\u2028x"
           "\nerror: forged\r<script>alert(1)</script>[x](javascript:alert(1))\n# Injected | cell")
# written in YAML double quotes: every character as an escape
YAML_HOSTILE = json.dumps(HOSTILE)
BAD_CHARS = ("\x1b", "\x07", "\u202e", "\u2028", "\r")


def clean_terminal(text: str) -> None:
    assert not [c for c in BAD_CHARS if c in text], repr(text)
    assert not [line for line in text.splitlines() if line.startswith("error: forged")], text


def clean_markdown(text: str) -> None:
    clean_terminal(text)
    assert "<script" not in text
    assert not re.search(r"(?<!\\)\]\(javascript:", text)
    assert not [line for line in text.splitlines() if line.lstrip().startswith("# Injected")]
    for line in text.splitlines():      # every table row keeps its cells: no unescaped | from user text
        if line.startswith("|") and "cell" in line:
            assert "\\| cell" in line


def test_one_function_escapes_every_control_separator_and_bidi_character():
    assert terminal("plain, accentué, عربى, 中文\ttab") == "plain, accentué, عربى, 中文\\x09tab"
    assert terminal(HOSTILE).count("\\x1b") == 4 and "\\u202e" in terminal(HOSTILE) and "\\u2028" in terminal(HOSTILE)
    clean_terminal(terminal(HOSTILE))
    clean_markdown(esc(HOSTILE))


def test_an_error_line_cannot_clear_the_screen_or_forge_another_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(CYCLONE.read_text().replace("title: Category", f"{YAML_HOSTILE}: 1\ntitle: Category"))
    result = CliRunner().invoke(main, ["evaluate", str(bad)])
    assert result.exit_code == 1
    assert "unknown field" in result.stderr
    clean_terminal(result.stderr)
    assert str(Problem("f.yaml", 3, HOSTILE, "unknown field")).count("\n") == 0


def hostile_scenario(tmp_path: Path) -> Path:
    path = tmp_path / "hostile.yaml"
    text = CYCLONE.read_text().replace("title: Category 4 cyclone strikes two coastal provinces",
                                       f"title: {json.dumps(HOSTILE[:190])}")
    path.write_text(text.replace("country: {name: Mozambara", f"country: {{name: {json.dumps(HOSTILE[:190])}"))
    return path


@pytest.mark.parametrize("command", [["evaluate"], ["explain"], ["batch", "-f", "table"]])
def test_text_reports_show_hostile_scenario_text_escaped(tmp_path, command):
    result = CliRunner().invoke(main, [*command, str(hostile_scenario(tmp_path))])
    assert result.exit_code == 0, result.output + result.stderr
    clean_terminal(result.output + result.stderr)


def test_a_batch_table_shows_a_hostile_file_name_escaped(tmp_path):
    shutil.copy(CYCLONE, tmp_path / "cyclone\x1b[31m\u202e.yaml")
    result = CliRunner().invoke(main, ["batch", "-f", "table", str(tmp_path)])
    assert "cyclone\\x1b[31m\\u202e.yaml" in result.output
    clean_terminal(result.output + result.stderr)


def hostile_exercise(tmp_path: Path) -> Path:
    folder = tmp_path / "ex"
    shutil.copytree(FIX / "rules", folder / "rules")
    text = (FIX / "drill.yaml").read_text()
    h = json.dumps(HOSTILE[:190])
    text = (text.replace('title: "Drill: Cyclone Tala reaches Kesumba"', f"title: {h}")
            .replace("title: Landfall", f"title: {h}")
            .replace('prompt: "What would you tell the Resident Coordinator tonight?"', f"prompt: {h}")
            .replace("options: [IFRC, UNHCR, IOM, none]",
                     f"options: [{{value: IFRC, label: {h}}}, UNHCR, IOM, none], debrief: {h}"))
    (folder / "drill.yaml").write_text(text)
    return folder / "drill.yaml"


def hostile_sheet(tmp_path: Path, ex) -> Path:
    answers = {q.id: (str(q.key) if q.scored else HOSTILE) for q in ex.questions}
    path = tmp_path / "sheet.yaml"
    path.write_text(yaml.safe_dump({"kind": "answer_sheet", "exercise": "drill", "participant": HOSTILE,
                                    "answers": answers}, allow_unicode=False))
    return path


def test_exercise_play_score_and_debrief_escape_hostile_text(tmp_path):
    file = hostile_exercise(tmp_path)
    ex = load_exercise(file)
    out = io.StringIO()
    play(ex, io.StringIO(f"{HOSTILE}\n" + "1\n" * 7 + f"{HOSTILE}\n" + "1\n" * 3), out,
         sheet=tmp_path / "played.yaml", reveal="each", clock=lambda: "2026-03-01T09:00:00Z")
    clean_terminal(out.getvalue())
    assert "\\x1b[2J" in out.getvalue()                   # shown, escaped, not dropped
    sheet = hostile_sheet(tmp_path, ex)
    runner = CliRunner()
    score = runner.invoke(main, ["exercise", "score", str(file), str(sheet)])
    assert score.exit_code == 0, score.stderr
    clean_terminal(score.output + score.stderr)
    key = runner.invoke(main, ["exercise", "validate", "--key", str(file)])
    clean_terminal(key.output + key.stderr)
    debrief = runner.invoke(main, ["exercise", "debrief", str(file), str(sheet), "-f", "markdown"])
    assert debrief.exit_code == 0, debrief.stderr
    clean_markdown(debrief.output)
    assert "&lt;script&gt;" in debrief.output and "\\x1b\\[2J" in debrief.output


def hostile_ruleset(tmp_path: Path) -> Path:
    folder = tmp_path / "rs"
    folder.mkdir()
    rule = {"id": "hostile.rule", "title": HOSTILE, "description": HOSTILE, "source": "SCALEUP-PROJECT",
            "basis": "project", "when": [{"fact": "indicator", "field": "hazard.onset", "value": "sudden"}],
            "then": [{"assert": {"fact": "note", "text": HOSTILE}}]}
    (folder / "ruleset.yaml").write_text(yaml.safe_dump({
        "id": "hostile", "version": "0.0.1", "title": "Hostile", "effective_from": "2018-11-01",
        "extends": "iasc-2018", "include": ["rules.yaml"]}))
    (folder / "rules.yaml").write_text(yaml.safe_dump({"rules": [rule]}, allow_unicode=False))
    return folder


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_rules_show_escapes_hostile_rule_titles(tmp_path, fmt):
    result = CliRunner().invoke(main, ["rules", "show", str(hostile_ruleset(tmp_path)), "-f", fmt])
    assert result.exit_code == 0, result.stderr
    assert "hostile.rule" in result.output
    (clean_markdown if fmt == "markdown" else clean_terminal)(result.output)


def test_rules_list_and_diff_escape_hostile_rule_text(tmp_path):
    folder = str(hostile_ruleset(tmp_path))
    runner = CliRunner()
    for args in (["rules", "list", folder], ["rules", "diff", "iasc-2018", folder, "-s", str(CYCLONE)]):
        result = runner.invoke(main, args)
        assert result.exit_code == 0, result.stderr
        clean_terminal(result.output + result.stderr)
