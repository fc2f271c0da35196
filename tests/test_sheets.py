"""Spreadsheets in and out: CSV and XLSX scenario sheets (dotted or HXL headers, HDX tag rows),
every problem located at its cell, one bad row costing only that row; templates that load back
once filled in; results workbooks and Excel CSV read back and checked, byte-identical runs."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from scaleup.batch.output import COLUMNS, flat_columns, result_row
from scaleup.batch.run import run_batch
from scaleup.batch.workbook import DECISION_FILLS
from scaleup.cli import main
from scaleup.errors import ScenarioError
from scaleup.rules.load import load_ruleset
from scaleup.scenario.sheet_cells import CellError, Percent, read_cell
from scaleup.scenario.sheet_columns import resolve_header, resolve_tag, sheet_columns
from scaleup.scenario.sheet_template import template_csv, write_template_xlsx
from scaleup.scenario.sheets import SheetReading, column_letter, load_row, read_sheet
from scaleup.xlsx import repack

HEAD = ["id", "title", "as_of", "country.name", "country.population", "hazard.types", "hazard.onset",
        "populations.affected", "populations.in_need", "capacity.funding_coverage_pct"]
GOOD = ["cyc-1", "Cyclone A", "2026-03-20", "Mozambara", "31000000", "cyclone", "sudden", "1850000", "1300000", "18%"]


@pytest.fixture(scope="module")
def ruleset():
    return load_ruleset("iasc-2018")


def write_csv(path: Path, rows: list[list[Any]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def loaded(path: Path) -> list[Any]:
    """Each row of a sheet: its loaded scenario, or its ScenarioError."""
    out: list[Any] = []
    for row in read_sheet(str(path), path.name):
        try:
            out.append(load_row(row))
        except ScenarioError as exc:
            out.append(exc)
    return out


def invoke(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def hdx_workbook(path: Path) -> Path:
    """An HDX-style sheet: a title row, labels, an HXL tag row, then data; dates and a percentage
    as Excel cells, a column that is no scenario field, a hashtag misspelt on the last row."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Data"
    sheet.append(["Cyclone response, people affected by district"])
    sheet.append(["Crisis", "Country", "ISO3", "Date", "Affected", "In need", "IDPs", "Admin 1", "id",
                  "hazard.types", "hazard.onset", "Funding"])
    sheet.append(["#crisis+name", "#country+name", "#country+code", "#date", "#affected", "#inneed+ind",
                  "#affected +idps", "#adm1+name", None, None, None, "#value+funding+pct"])
    sheet.append(["Cyclone X", "Mozambara", "XMB", dt.datetime(2026, 3, 20), 1850000, 1300000, 400000, "Coast",
                  "cx-1", "cyclone", "Sudden", 0.18])
    sheet["L4"].number_format = "0%"
    sheet.append(["Cyclone Y", "Mozambara", "XMB", dt.datetime(2026, 3, 20), 1850000, "lots", 400000, "Coast",
                  "cx-2", "cyclone", "sudden", None])
    book.save(path)
    return path


# --- reading ---------------------------------------------------------------------------------

def test_a_csv_with_dotted_headers_loads_each_row_with_cells_read_by_their_field(tmp_path):
    path = write_csv(tmp_path / "in.csv", [HEAD, GOOD, [*GOOD[:1], "Cyclone B", *GOOD[2:5], "cyclone; Flood",
                                                        "Sudden", "1850000", "1300000", "18"]])
    first, second = loaded(path)
    assert first.scenario.capacity.funding_coverage_pct == 18 and first.scenario.as_of == dt.date(2026, 3, 20)
    assert second.scenario.hazard.types == ["cyclone", "flood"] and second.scenario.hazard.onset == "sudden"
    assert first.name == "in.csv" and first.line_of("populations.in_need") == 2


def test_an_hdx_sheet_with_a_tag_row_loads_and_a_bad_cell_is_located_at_it(tmp_path):
    path = hdx_workbook(tmp_path / "hdx.xlsx")
    reading = SheetReading()
    rows = list(read_sheet(str(path), "hdx.xlsx", reading))
    assert [r.row for r in rows] == [4, 5]
    good = load_row(rows[0]).scenario
    assert (good.title, good.country.iso3, good.as_of, good.populations.in_need, good.populations.idps,
            good.capacity.funding_coverage_pct) == ("Cyclone X", "XMB", dt.date(2026, 3, 20), 1300000, 400000, 18)
    assert reading.notes == ["hdx.xlsx:Data: column H (#adm1+name) is not a scenario field; not read"]
    with pytest.raises(ScenarioError) as bad:
        load_row(rows[1])
    assert [str(p) for p in bad.value.problems] == [
        "hdx.xlsx:Data!F5: populations.in_need: expected a whole number, got the text 'lots' "
        "(write a plain number without quotes, units or thousands separators, e.g. 250000)"]


def test_typos_in_headers_and_cells_are_located_with_a_did_you_mean(tmp_path):
    path = write_csv(tmp_path / "typo.csv", [
        [*HEAD[:8], "populations.in_ned", "capacity.funding_coverage_pct"],
        [*GOOD[:6], "sudenn", "1,850,000", "1300000", "2,5"]])
    (error,) = loaded(path)
    assert sorted(str(p) for p in error.problems) == sorted([
        "typo.csv:2: column I: unknown column 'populations.in_ned' (did you mean 'populations.in_need'?)",
        "typo.csv:2: populations.affected (column H): expected a whole number, got the text '1,850,000' "
        "(remove the thousands separators: 1850000)",
        "typo.csv:2: capacity.funding_coverage_pct (column J): expected a number, got the text '2,5' "
        "(write the decimal point as a point: 2.5)",
        "typo.csv:2: hazard.onset (column G): Input should be 'sudden', 'rapid_deterioration', 'gradual', "
        "'protracted' or 'stalled_response'; got the text 'sudenn' (did you mean 'sudden'?)"])


def test_a_misspelt_hashtag_is_a_problem_and_an_unmapped_one_is_left_out():
    assert resolve_tag("#inned").hint == "did you mean '#inneed'?"
    assert resolve_tag("#affected+idp").hint == "did you mean '#affected+idps'?"
    assert resolve_tag("#affected+f").ignore and resolve_tag("#adm1+name").ignore   # breakdowns, admin names
    assert resolve_tag("#Affected +IDPs +num").field == "populations.idps"
    assert resolve_header("in_need", tagged=False).hint == "did you mean 'populations.in_need'?"
    assert resolve_header("Notes", tagged=True).ignore and not resolve_header("Notes", tagged=False).field
    assert "YAML" in resolve_header("sources", tagged=False).hint


def test_one_bad_row_costs_only_that_row_in_a_batch(tmp_path, ruleset):
    bad = [*GOOD[:1], "Cyclone C", "20/03/2026", *GOOD[3:]]
    path = write_csv(tmp_path / "mixed.csv", [HEAD, GOOD, bad, [*GOOD[:1], "Cyclone D", *GOOD[2:]]])
    out = io.StringIO()
    summary = run_batch([str(path)], ruleset, fmt="jsonl", stream=out)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(r["line"], r["status"]) for r in rows] == [(2, "ok"), (3, "error"), (4, "ok")]
    assert rows[1]["title"] == "Cyclone C" and rows[1]["country"] == "Mozambara"
    assert rows[1]["error"] == (f"{path}:3: as_of (column C): expected a date as YYYY-MM-DD, got the text "
                                "'20/03/2026' (write the date as YYYY-MM-DD; day/month order differs between countries)")
    assert summary.status["ok"] == 2 and summary.total == 3


def test_a_missing_required_column_and_an_empty_required_cell_say_what_to_do(tmp_path):
    path = write_csv(tmp_path / "short.csv", [HEAD[1:], GOOD[1:], ["", *GOOD[2:]]])
    first, second = loaded(path)
    assert [str(p) for p in first.problems] == ["short.csv:2: id: required field is missing (add a column 'id')"]
    assert "short.csv:3: title (column A): required field is missing (fill in column A)" in map(str, second.problems)


@pytest.mark.parametrize("kind_path, cell, expected", [
    ("capacity.rc_present", "Yes", True), ("capacity.rc_present", "FALSE", False),
    ("impact.geographic_spread", "Several provinces", "several_provinces"),
    ("expect.scale_up", "consider; not_recommended", ["consider", "not_recommended"]),
    ("expect.scale_up", "recommend", "recommend"), ("expect.flags", "a, b; c", ["a, b", "c"]),
    ("country.iso3", 2024.0, "2024"), ("populations.affected", Percent(0.5), None),
    ("health_nutrition.gam_pct", Percent(0.115), 11.5), ("hazard.started", dt.datetime(2026, 3, 1, 12), None),
    ("hazard.started", "2026-02-30", None), ("hazard.started", 46101, None), ("capacity.rc_present", 1, None),
])
def test_cells_are_read_by_the_kind_of_their_field(kind_path, cell, expected):
    column = sheet_columns()[kind_path]
    if expected is None:
        with pytest.raises(CellError):
            read_cell(column, cell)
    else:
        assert read_cell(column, cell) == expected


def test_semicolon_csv_and_a_byte_that_is_not_utf8_are_handled_per_row(tmp_path, ruleset):
    text = ";".join(HEAD) + "\n" + ";".join(GOOD) + "\n" + ";".join([*GOOD[:1], "Cyclone \xe9", *GOOD[2:]]) + "\n"
    path = tmp_path / "semi.csv"
    path.write_bytes(text.encode("latin-1"))
    first, second = loaded(path)
    assert first.scenario.title == "Cyclone A"
    assert [str(p) for p in second.problems] == ["semi.csv:3: title (column B): the cell is not valid UTF-8 text "
                                                 "(save the file as CSV UTF-8 (Excel: File > Save As > CSV UTF-8))"]
    from scaleup.batch.input import iter_tasks
    from scaleup.batch.worker import evaluate_task
    tasks = list(iter_tasks([path]))   # the batch path: the row's bytes carry the bad byte to the worker
    outcome = evaluate_task(tasks[1], ruleset)
    assert outcome.status == "error" and "the cell is not valid UTF-8 text" in outcome.values["error"]


def test_an_empty_sheet_a_header_without_rows_and_a_damaged_workbook_are_file_problems(tmp_path):
    for name, content, message in [("empty.csv", b"", "the sheet is empty"),
                                   ("head.csv", b"id,title\n", "the sheet has a header but no scenario rows"),
                                   ("broken.xlsx", b"PK not a zip", "cannot read the file: it is not an XLSX workbook")]:
        (tmp_path / name).write_bytes(content)
        reading = SheetReading()
        assert list(read_sheet(str(tmp_path / name), name, reading)) == []
        assert message in reading.problems[0].message


def test_column_letters_run_past_z():
    assert [column_letter(i) for i in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]


# --- templates -------------------------------------------------------------------------------

def test_the_csv_template_filled_in_loads(tmp_path):
    text = template_csv()
    header = next(csv.reader(io.StringIO(text)))
    assert header == list(sheet_columns()) and "(one of: sudden | rapid_deterioration" in text
    row = dict.fromkeys(header, "")
    row.update(dict(zip(HEAD, GOOD)))
    path = tmp_path / "filled.csv"
    path.write_text(text + ",".join(row[name] for name in header) + "\n", encoding="utf-8")
    (scenario,) = loaded(path)
    assert scenario.scenario.id == "cyc-1" and scenario.line_of("id") == 3


def test_the_xlsx_template_has_drop_downs_and_filled_in_loads(tmp_path):
    path = tmp_path / "template.xlsx"
    write_template_xlsx(path)
    book = openpyxl.load_workbook(path)
    sheet = book["scenarios"]
    header = [c.value for c in sheet[1]]
    assert header == list(sheet_columns()) and sheet.freeze_panes == "B3"
    onset = column_letter(header.index("hazard.onset"))
    lists = {str(v.sqref): v.formula1 for v in sheet.data_validations.dataValidation}
    assert f"{onset}3:{onset}10000" in lists and "values!" in lists[f"{onset}3:{onset}10000"]
    assert sheet.cell(row=1, column=header.index("populations.in_need") + 1).comment.text.startswith("People in need")
    for name, value in zip(HEAD, GOOD):
        sheet.cell(row=3, column=header.index(name) + 1, value=value)
    book.save(path)
    (scenario,) = loaded(path)
    assert scenario.scenario.populations.in_need == 1300000


def test_the_template_command_writes_each_format_and_exits_0(tmp_path):
    result = invoke("scenario", "template", "-f", "csv")
    assert result.exit_code == 0 and result.output.startswith("id,title,description,as_of")
    assert invoke("scenario", "template", "-f", "xlsx", "-o", str(tmp_path / "t.xlsx")).exit_code == 0
    assert openpyxl.load_workbook(tmp_path / "t.xlsx").sheetnames == ["scenarios", "values"]
    assert invoke("scenario", "template").output.startswith("# A scaleup scenario")


# --- writing ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def mixed(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("mixed")
    bad = [*GOOD[:1], "Cyclone C", "20/03/2026", *GOOD[3:]]
    refugee = ["ref-1", "Refugee influx", "2026-03-20", "Kessaria", "8000000", "conflict", "sudden", "95000", "",
               ""]
    path = write_csv(folder / "mixed.csv", [HEAD + ["populations.refugees"], GOOD + [""], bad + [""],
                                            refugee + ["95000"]])
    return path


def test_batch_writes_a_results_workbook_with_three_sheets_styles_and_a_frozen_header(mixed, tmp_path):
    out = tmp_path / "results.xlsx"
    result = invoke("batch", str(mixed), "-o", str(out), "-j", "1")
    assert result.exit_code == 1 and f"{mixed}:3: as_of (column C)" in result.stderr
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["results", "errors", "rule set"]
    sheet = book["results"]
    header = [c.value for c in sheet[1]]
    assert header[:8] == ["Id", "Title", "Country", "Status", "Decision", "Route", "Scale", "Urgency"]
    assert "Lead: humanitarian coordinator" in header and "Protection cluster lead" in header
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == f"A1:{column_letter(len(header) - 1)}4"
    assert sheet["A1"].font.b
    decisions = [(sheet.cell(row=r, column=5).value, sheet.cell(row=r, column=5).fill.fgColor.rgb) for r in (2, 3, 4)]
    assert decisions == [("recommend", "00" + DECISION_FILLS["recommend"]), (None, "00000000"),
                         ("not_applicable", "00" + DECISION_FILLS["not_applicable"])]
    assert [c.value for c in sheet[3]][:4] == ["cyc-1", "Cyclone C", "Mozambara", "error"]
    errors = list(book["errors"].values)
    assert errors[0] == ("File", "Line / row", "Id", "Title", "Status", "Problems") and len(errors) == 2
    assert errors[1][1] == 3 and "as_of (column C)" in errors[1][5] and book["errors"].freeze_panes == "A2"
    stamps = dict(list(book["rule set"].values)[1:])
    ruleset = load_ruleset("iasc-2018")
    assert (stamps["rule set"], stamps["rule set version"], stamps["rule set sha256"], stamps["scenarios"]) == (
        "iasc-2018", ruleset.version, ruleset.sha256, 3)


def test_the_same_inputs_give_a_byte_identical_workbook_whatever_the_worker_count(mixed, tmp_path):
    for jobs in ("1", "2"):
        invoke("batch", str(mixed), "-o", str(tmp_path / f"r{jobs}.xlsx"), "-j", jobs)
    first, second = (tmp_path / "r1.xlsx").read_bytes(), (tmp_path / "r2.xlsx").read_bytes()
    assert first == second
    assert repack(first) == first   # already normal: fixed times inside and on every zip entry
    assert openpyxl.load_workbook(tmp_path / "r1.xlsx").properties.modified == dt.datetime(2000, 1, 1)


def test_excel_csv_has_a_bom_and_one_lead_per_column_matching_result_row(mixed, tmp_path, ruleset):
    out = tmp_path / "excel.csv"
    assert invoke("batch", str(mixed), "-o", str(out), "--excel", "-j", "1").exit_code == 1
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert list(table[0]) == list(flat_columns(ruleset)) and "leads" not in table[0]
    assert table[0]["leads.humanitarian_coordinator"].startswith("Resident Coordinator")
    assert table[2]["cluster_leads.Protection"] == "" and table[2]["leads.refugee_response"]
    stream = io.StringIO()
    run_batch([str(mixed)], ruleset, fmt="jsonl", stream=stream)
    flat = result_row(json.loads(stream.getvalue().splitlines()[0]), flat_columns(ruleset))
    assert list(flat) == list(table[0]) and flat["title"] == table[0]["title"] == "Cyclone A"


def test_every_batch_format_carries_title_and_country(mixed, ruleset):
    assert COLUMNS[2:5] == ("id", "title", "country")
    stream = io.StringIO()
    run_batch([str(mixed)], ruleset, fmt="csv", stream=stream)
    rows = list(csv.DictReader(io.StringIO(stream.getvalue(), newline="")))
    assert [(r["title"], r["country"]) for r in rows] == [("Cyclone A", "Mozambara"), ("Cyclone C", "Mozambara"),
                                                          ("Refugee influx", "Kessaria")]


def test_usage_mistakes_with_spreadsheet_output_exit_2(mixed, tmp_path):
    assert invoke("batch", str(mixed), "-o", str(tmp_path / "r.jsonl"), "--excel").exit_code == 2
    assert invoke("batch", str(mixed), "-o", str(tmp_path / "r.xlsx"), "--resume").exit_code == 2
    assert invoke("batch", str(mixed), "-f", "xlsx").exit_code == 2


# --- evaluate, explain and sweep on files of rows --------------------------------------------

def test_evaluate_reads_every_row_of_csv_and_jsonl_or_only_row_n(mixed, tmp_path):
    result = invoke("evaluate", str(mixed), "-f", "json")
    assert result.exit_code == 1 and [r["scenario"]["title"] for r in json.loads(result.stdout)] == [
        "Cyclone A", "Refugee influx"]
    one = invoke("evaluate", str(mixed), "--row", "4", "-f", "json")
    assert one.exit_code == 0 and json.loads(one.stdout)["scenario"]["id"] == "ref-1"
    lines = tmp_path / "two.jsonl"
    lines.write_text(json.dumps({"id": "a", "title": "A", "as_of": "2026-03-20", "country": {"name": "X"},
                                 "hazard": {"types": ["flood"], "onset": "sudden"}}) + "\n\n" + '{"id": "b"}\n')
    both = invoke("evaluate", str(lines))
    assert both.exit_code == 1 and both.stdout.startswith("a: A") and f"{lines}:3: title" in both.stderr
    missing = invoke("evaluate", str(lines), "--row", "2")
    assert missing.exit_code == 1 and "no scenario on line 2; scenarios are on lines 1, 3" in missing.stderr
    assert invoke("evaluate", "scenarios/cyclone-coastal.yaml", "--row", "2").exit_code == 2


def test_an_unknown_suffix_is_named_with_the_suffixes_that_are_read(tmp_path):
    odd = tmp_path / "crisis.txt"
    odd.write_text("id: x\n")
    for command in ("evaluate", "batch"):
        result = invoke(command, str(odd))
        assert result.exit_code == 1
        assert "unknown file suffix '.txt'; expected .yaml, .json, .jsonl, .csv or .xlsx" in result.stderr


def test_explain_and_sweep_take_a_row_of_a_sheet(mixed):
    text = invoke("explain", str(mixed), "--row", "2", "--depth", "1")
    assert text.exit_code == 0 and text.stdout.startswith("cyc-1: Cyclone A")
    html = invoke("explain", str(mixed), "-f", "html")
    assert html.exit_code == 2 and "give --row N" in html.stderr
    sweep = invoke("sweep", str(mixed), "--row", "2", "--vary", "populations.in_need=0,1850000", "-j", "1")
    assert sweep.exit_code == 0 and sweep.stdout.splitlines()[1].startswith("0,ok,")
    several = invoke("sweep", str(mixed), "--vary", "populations.in_need=0,1", "-j", "1")
    assert several.exit_code == 1 and "the file holds 3 scenarios" in several.stderr


def test_docs_spreadsheets_md_lists_every_hashtag_mapping():
    from scaleup.scenario.sheet_columns import HXL
    text = (Path(__file__).resolve().parent.parent / "docs" / "spreadsheets.md").read_text(encoding="utf-8")
    for tag, field in HXL.items():
        assert f"`{tag}`" in text and f"`{field}`" in text, tag


def test_the_shipped_hdx_style_sheet_meets_its_expectations(ruleset, monkeypatch):
    monkeypatch.chdir(Path(__file__).resolve().parent.parent)
    stream = io.StringIO()
    summary = run_batch(["scenarios/sheets/hdx-crises.csv"], ruleset, fmt="jsonl", stream=stream)
    rows = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(r["line"], r["status"], r["expect"]) for r in rows] == [(3, "ok", "met"), (4, "ok", "met"), (5, "ok", "met")]
    assert summary.notes == ["scenarios/sheets/hdx-crises.csv: column O (#adm1+name) is not a scenario field; not read"]


def test_validate_checks_every_row_of_a_sheet_and_locates_the_bad_one():
    result = invoke("validate", "scenarios/sheets/hdx-crises.csv", "tests/fixtures/golden/crises.csv")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [f"ok: scenarios/sheets/hdx-crises.csv:{n}" for n in (3, 4, 5)] + [
        "ok: tests/fixtures/golden/crises.csv:3"]
    assert ("error: tests/fixtures/golden/crises.csv:4: populations.affected (column H): expected a whole number, "
            "got the text '1,200,000' (remove the thousands separators: 1200000)") in result.stderr


def test_a_workbook_damaged_mid_sheet_keeps_the_rows_before_the_damage(tmp_path):
    import zipfile
    book = openpyxl.Workbook()
    for row in (HEAD, GOOD, GOOD):
        book.active.append(row)
    book.save(tmp_path / "ok.xlsx")
    with zipfile.ZipFile(tmp_path / "ok.xlsx") as source, zipfile.ZipFile(tmp_path / "damaged.xlsx", "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            target.writestr(info, data.replace(b'<row r="3"', b'<row r="3"><<<') if "sheet1" in info.filename else data)
    reading = SheetReading()
    assert [r.row for r in read_sheet(str(tmp_path / "damaged.xlsx"), "damaged.xlsx", reading)] == [2]
    assert reading.problems[0].file == "damaged.xlsx:Sheet"
    assert reading.problems[0].message.startswith("cannot read the sheet after row 2: ParseError")


def test_duplicate_columns_values_without_a_header_and_oversized_cells_are_row_problems(tmp_path):
    path = write_csv(tmp_path / "odd.csv", [[*HEAD, "populations.affected"],
                                            [*GOOD, "1", "extra"], [*GOOD[:1], "x" * 10_001, *GOOD[2:]]])
    first, second = loaded(path)
    assert sorted(str(p) for p in first.problems) == [
        "odd.csv:2: column K: populations.affected is also column H (keep one of the two columns)",
        "odd.csv:2: column L: a value in a column without a header (add a header naming the field, or delete the value)"]
    assert [str(p) for p in second.problems] == [
        "odd.csv:3: title (column B): the cell holds 10,001 characters; the limit is 10,000 (shorten it)"]


@pytest.mark.parametrize("kind_path, cell, expected", [
    ("title", True, "true"), ("title", dt.datetime(2026, 3, 1), "2026-03-01"), ("title", dt.date(2026, 3, 1), "2026-03-01"),
    ("title", dt.datetime(2026, 3, 1, 8, 30), "2026-03-01T08:30:00"), ("hazard.started", dt.date(2026, 3, 1), dt.date(2026, 3, 1)),
    ("hazard.started", "2026-03-01 00:00:00", dt.date(2026, 3, 1)), ("populations.affected", True, None),
    ("populations.affected", dt.date(2026, 3, 1), None), ("populations.affected", "12%", None),
    ("populations.affected", "many", None), ("health_nutrition.cmr", " 0.8 ", 0.8),
])
def test_more_cells_read_by_their_kind(kind_path, cell, expected):
    test_cells_are_read_by_the_kind_of_their_field(kind_path, cell, expected)


def test_a_row_asked_for_that_holds_no_scenario_is_named_with_the_rows_that_do(tmp_path):
    from scaleup.batch.scenario_files import base_row, read_all
    path = write_csv(tmp_path / "rows.csv", [HEAD, GOOD, [*GOOD[:1], "Cyclone B", *GOOD[2:]]])
    ((where, item),) = list(read_all([path], row=7))
    assert "--row 7: no scenario on row 7; scenarios are on rows 2, 3" in str(item.problems[0])
    loaded_one, task = base_row(path, 3)
    assert loaded_one.scenario.title == "Cyclone B" and task.line == 3
    with pytest.raises(ScenarioError):
        base_row(path, 9)
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(ScenarioError) as nothing:
        base_row(empty, None)
    assert "the sheet is empty" in nothing.value.problems[0].message


def test_the_xlsx_template_goes_to_stdout_when_it_is_not_a_terminal():
    result = invoke("scenario", "template", "-f", "xlsx")
    assert result.exit_code == 0
    book = openpyxl.load_workbook(io.BytesIO(result.stdout_bytes))
    assert book.sheetnames == ["scenarios", "values"]


def test_a_recommendation_outside_a_batch_flattens_like_a_batch_row(mixed, ruleset):
    from scaleup.batch.run import recommendation_row
    from scaleup.recommendation.evaluate import evaluate
    (first, *_) = [item for item in loaded(mixed) if not isinstance(item, ScenarioError)]
    stream = io.StringIO()
    run_batch([str(mixed)], ruleset, fmt="jsonl", stream=stream)
    batch_row = json.loads(stream.getvalue().splitlines()[0])
    row = recommendation_row(evaluate(first, ruleset), ruleset, file=str(mixed), line=2)
    assert row == batch_row
    assert result_row(row, flat_columns(ruleset)) == result_row(batch_row, flat_columns(ruleset))


def test_a_results_workbook_named_again_as_an_input_is_refused_before_it_is_replaced(mixed, tmp_path):
    out = tmp_path / "results.xlsx"
    out.write_bytes(b"yesterday")
    result = invoke("batch", str(mixed), str(tmp_path / "*.xlsx"), "-o", str(out), "-j", "1")
    assert result.exit_code == 1 and "this workbook is also an input" in result.stderr
    assert out.read_bytes() == b"yesterday"


def test_a_workbook_keeps_the_permissions_of_the_file_it_replaces_and_devices_are_written_through(tmp_path):
    import os
    import stat

    from scaleup.xlsx import write_bytes
    target = tmp_path / "r.xlsx"
    target.write_bytes(b"old")
    target.chmod(0o640)
    write_bytes(target, b"new")
    assert target.read_bytes() == b"new" and stat.S_IMODE(target.stat().st_mode) == 0o640
    write_bytes(Path(os.devnull), b"data")   # written through, never replaced by a regular file
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)
