"""The Python API (docs/api.md): scaleup.evaluate, explain and evaluate_many on paths, dicts and
loaded scenarios; dicts located by JSON pointer; rule sets cached by name and overrides; the
notebook card; data frames (the pandas extra)."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import scaleup
from scaleup.errors import EngineError, RulesetError, ScenarioError
from scaleup.render.json import render as render_json

ROOT = Path(__file__).resolve().parent.parent
CYCLONE = "scenarios/cyclone-coastal.yaml"
REFUGEE = "scenarios/refugee-influx-border.yaml"


@pytest.fixture(autouse=True)
def _at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


@pytest.fixture
def cyclone() -> dict:
    return yaml.safe_load((ROOT / CYCLONE).read_text(encoding="utf-8"))


def problems(exc: Exception) -> list[str]:
    return [str(p) for p in exc.problems]


# --- one scenario ---------------------------------------------------------------------------------

def test_a_path_a_dict_and_a_loaded_scenario_get_the_same_recommendation(cyclone: dict) -> None:
    by_path = scaleup.evaluate(CYCLONE)
    by_dict = scaleup.evaluate(cyclone)
    by_loaded = scaleup.evaluate(scaleup.load_scenario(Path(CYCLONE)))
    assert by_path.scale_up == by_dict.scale_up == by_loaded.scale_up == "recommend"
    assert [c.level for c in by_path.criteria] == [c.level for c in by_dict.criteria]
    assert by_dict.scenario.file == "<dict>"
    origins = {f.origin for f in by_dict.audit.facts if f.type == "indicator"}
    assert "input:populations.affected@<dict>" in origins      # a dict has no lines: no ":None"


def test_parse_scenario_takes_a_dict_and_locates_its_problems_by_json_pointer(cyclone: dict) -> None:
    assert scaleup.parse_scenario(cyclone).scenario.id == "cyclone-coastal"
    cyclone["populations"]["in_need"] = "many"
    cyclone["populations"]["afected"] = 3
    cyclone["hazard"]["types"] = ["cyclone", "cyclonne"]
    with pytest.raises(ScenarioError) as err:
        scaleup.parse_scenario(cyclone, "row 7")
    assert [p.line for p in err.value.problems] == [None, None, None]
    shown = problems(err.value)
    assert "row 7: /populations/afected: unknown field (did you mean 'affected'?)" in shown
    assert any(s.startswith("row 7: /populations/in_need: expected a number, got the text 'many'") for s in shown)
    assert any(s.startswith("row 7: /hazard/types/1: ") for s in shown)


@pytest.mark.parametrize("value, message", [
    (float("nan"), "/populations/in_need: infinite and NaN values are not allowed"),
    (object(), "/populations/in_need: a object cannot be a scenario value"),
])
def test_values_a_file_could_not_hold_are_located(cyclone: dict, value: object, message: str) -> None:
    cyclone["populations"]["in_need"] = value
    with pytest.raises(ScenarioError) as err:
        scaleup.evaluate(cyclone)
    assert any(s.startswith(f"<dict>: {message}") for s in problems(err.value))


def test_keys_must_be_text_and_dates_tuples_and_numpy_numbers_are_read(cyclone: dict) -> None:
    np = pytest.importorskip("numpy")
    cyclone["populations"][3] = 1
    with pytest.raises(ScenarioError) as err:
        scaleup.evaluate(cyclone)
    assert problems(err.value) == ["<dict>: /populations: the key 3 is not text (use field names as text keys)"]
    del cyclone["populations"][3]
    cyclone["populations"]["affected"] = np.int64(cyclone["populations"]["affected"])
    cyclone["capacity"]["inform_lcc"] = np.float64(6.1)
    cyclone["hazard"]["types"] = tuple(cyclone["hazard"]["types"])
    assert isinstance(cyclone["as_of"], __import__("datetime").date)
    assert scaleup.evaluate(cyclone).scale_up == "recommend"


def test_a_wrong_kind_of_input_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="expected a path, a mapping or a loaded scenario, not int"):
        scaleup.evaluate(42)


def test_overrides_as_a_mapping_or_as_on_the_command_line_and_rule_sets_are_cached() -> None:
    by_text = scaleup.get_ruleset("iasc-2018", ["recommend_gap_level=5"])
    assert scaleup.get_ruleset("iasc-2018", {"recommend_gap_level": 5}) is by_text
    assert scaleup.get_ruleset() is scaleup.get_ruleset("iasc-2018") is not by_text
    assert scaleup.get_ruleset(str(ROOT / "rulesets" / "iasc-2018")) is scaleup.get_ruleset("rulesets/iasc-2018") \
        is scaleup.get_ruleset()          # one folder, however it is named
    assert scaleup.evaluate(CYCLONE, set={"recommend_gap_level": 5}).stamp.overrides == {"recommend_gap_level": 5}
    assert scaleup.get_ruleset(by_text) is by_text
    with pytest.raises(ValueError, match="compiled rule set"):
        scaleup.get_ruleset(by_text, {"recommend_gap_level": 4})
    with pytest.raises(ValueError, match="is not NAME=VALUE"):
        scaleup.get_ruleset("iasc-2018", ["recommend_gap_level"])
    with pytest.raises(RulesetError):
        scaleup.evaluate(CYCLONE, set={"no_such_parameter": 1})
    with pytest.raises(RulesetError):
        scaleup.evaluate(CYCLONE, ruleset="no-such-ruleset")


def test_explain_returns_the_explanation_of_the_command() -> None:
    exp = scaleup.explain(CYCLONE, why_not=["consider"], depth=2)
    assert exp.recommendation.scale_up == "recommend" and [w.target for w in exp.why_not] == ["consider"]
    assert exp.to_dict()["depth"] == 2
    with pytest.raises(ValueError):
        scaleup.explain(CYCLONE, why_not=["no-such-target"])


def test_scaleup_explain_stays_the_function_when_the_explain_package_is_imported() -> None:
    code = ("import scaleup, scaleup.explain, scaleup.explain.flips\n"
            "from scaleup.explain.derivation import explain as e\n"
            "from scaleup.recommendation.evaluate import evaluate as v\n"
            "assert scaleup.explain.__module__ == scaleup.evaluate.__module__ == 'scaleup.api'\n"
            "assert e.__module__ == 'scaleup.explain.derivation' and v.__module__ == 'scaleup.recommendation.evaluate'\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


# --- many -----------------------------------------------------------------------------------------

def mixed(cyclone: dict) -> list:
    bad = copy.deepcopy(cyclone)
    bad["populations"]["idps"] = -4
    return [CYCLONE, cyclone, bad, "scenarios/no-such.yaml", 42, scaleup.load_scenario(REFUGEE),
            "scenarios/exercises/cyclone-idp-surge.yaml", Path(REFUGEE)]


def test_evaluate_many_yields_results_in_order_and_errors_as_values(cyclone: dict) -> None:
    results = list(scaleup.evaluate_many(mixed(cyclone)))
    kinds = [type(r).__name__ for r in results]
    assert kinds == ["Recommendation", "Recommendation", "ScenarioError", "ScenarioError", "ScenarioError",
                     "Recommendation", "ScenarioError", "Recommendation"]
    assert problems(results[2]) == ["<item 2>: /populations/idps: must be at least 0, got -4 (counts and rates cannot be negative)"]
    assert results[1].scenario.file == "<item 1>"
    assert "not int" in problems(results[4])[0] and "'exercise' file" in problems(results[6])[0]


def test_workers_give_the_same_results_as_this_process(cyclone: dict) -> None:
    items = mixed(cyclone)
    alone = list(scaleup.evaluate_many(items))
    pooled = list(scaleup.evaluate_many(items, jobs=2))
    assert [type(r) for r in pooled] == [type(r) for r in alone]
    for a, b in zip(alone, pooled):
        if isinstance(a, scaleup.Recommendation):
            assert render_json([a]) == render_json([b])
        else:
            assert type(a) is type(b) and a.problems == b.problems


def test_a_worker_that_dies_costs_only_its_scenario(cyclone: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    from scaleup.batch import worker as batch_worker
    monkeypatch.setattr(batch_worker, "CRASH_ON_ID", "cyclone-coastal")
    monkeypatch.setattr(batch_worker, "CRASH_HOW", "exit")
    results = list(scaleup.evaluate_many([REFUGEE, cyclone, REFUGEE], jobs=2))
    assert isinstance(results[1], EngineError) and "<item 1>" in problems(results[1])[0]
    assert [r.scale_up for r in (results[0], results[2])] == ["not_applicable", "not_applicable"]


# --- the notebook card ----------------------------------------------------------------------------

def test_a_recommendation_shows_as_an_escaped_self_contained_card(tmp_path: Path, cyclone: dict) -> None:
    cyclone["title"] = "<script>alert(1)</script> & co"
    card = scaleup.evaluate(cyclone)._repr_html_()
    assert card.startswith('<div class="scaleup-card">') and card.rstrip().endswith("</div>")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in card and "<script" not in card
    assert "Recommend a System-Wide Scale-Up to the ERC" in card and "<svg" in card
    style = card.split("<style>", 1)[1].split("</style>", 1)[0].strip()
    assert style.startswith(".scaleup-card {") and style.endswith("}")   # every rule nested in the card
    assert ":root" not in style and "\nbody" not in style and "&amp;" not in style


# --- data frames ----------------------------------------------------------------------------------

def flat(data: dict, prefix: str = "") -> dict:
    out: dict = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out.update(flat(value, f"{prefix}{key}."))
        elif key != "expect":
            out[prefix + key] = value
    return out


def test_evaluate_frame_adds_the_batch_columns_and_an_errors_column(cyclone: dict) -> None:
    pd = pytest.importorskip("pandas")
    refugee = yaml.safe_load((ROOT / REFUGEE).read_text(encoding="utf-8"))
    rows = [flat(cyclone), flat(refugee), {**flat(cyclone), "populations.in_need": -1},
            {**flat(cyclone), "country": "X"}]
    frame = pd.DataFrame(rows, index=[10, 11, 12, 13])
    out = scaleup.evaluate_frame(frame)
    assert list(out.index) == [10, 11, 12, 13] and len(out) == 4
    assert list(out.columns[:len(frame.columns)]) == list(frame.columns)       # the input columns first
    assert list(out["decision"])[:2] == ["recommend", "not_applicable"]
    assert str(out["scale"].dtype) == "Int64" and out.loc[10, "scale"] == 4 and pd.isna(out.loc[12, "scale"])
    assert out.loc[11, "leads"].startswith("empowered_leadership=") is False and "=" in out.loc[11, "leads"]
    assert out.loc[10, "flags"] == "flash_appeal_window_passed"
    assert pd.isna(out.loc[10, "errors"])
    assert out.loc[12, "errors"].startswith("<row 12>: /populations/in_need: must be at least 0")
    assert "/country/name" in out.loc[13, "errors"] or "/country" in out.loc[13, "errors"]


def test_empty_cells_leave_a_field_out(cyclone: dict) -> None:
    pd = pytest.importorskip("pandas")
    row = flat(cyclone)
    frame = pd.DataFrame([row, {**row, "capacity.inform_lcc": float("nan")}])
    out = scaleup.evaluate_frame(frame, jobs=2)
    assert list(out["errors"].isna()) == [True, True]
    assert out.loc[0, "capacity"] == 4


def test_to_frame_makes_a_row_of_every_result(cyclone: dict) -> None:
    pytest.importorskip("pandas")
    frame = scaleup.to_frame(scaleup.evaluate_many(mixed(cyclone)))
    assert list(frame.columns[:3]) == ["file", "id", "decision"] and len(frame) == 8
    assert list(frame["file"])[:4] == [CYCLONE, "<item 1>", "<item 2>", "scenarios/no-such.yaml"]
    assert frame["errors"].notna().tolist() == [False, False, True, True, True, False, True, False]
    assert list(scaleup.to_frame([]).columns)[:2] == ["file", "id"]
    with pytest.raises(TypeError):
        scaleup.to_frame([42])


def test_frames_without_pandas_say_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"pip install scaleup\[pandas\]"):
        scaleup.to_frame([])
