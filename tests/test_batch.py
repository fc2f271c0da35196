"""Batch runs: every good result exactly once, whatever breaks; same bytes whatever the worker
count; interrupted runs resume to the same file; CSV a spreadsheet can open safely."""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from scaleup.batch import worker as batch_worker
from scaleup.batch.run import BatchSummary, run_batch
from scaleup.batch.files import partial_path
from scaleup.batch.output import COLUMNS, read_rows
from scaleup.cli.main import main
from scaleup.cli.progress import ProgressDisplay, StopFlag, progress_mode
from scaleup.errors import ScaleupError
from scaleup.rules.load import load_ruleset
from scaleup.scenario.yamlio import load_document

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "scenarios" / "cyclone-coastal.yaml"


@pytest.fixture(scope="module")
def ruleset():
    return load_ruleset("iasc-2018")


def base_doc() -> dict[str, Any]:
    data = json.loads(json.dumps(load_document(BASE).data, default=str))
    data.pop("expect", None)
    return data


def variant(i: int, **sections: dict[str, Any]) -> dict[str, Any]:
    """The cyclone scenario with its own id and figures that differ from one variant to the next."""
    doc = base_doc()
    doc["id"] = f"v-{i:04d}"
    affected = 20_000 + 7_919 * i
    # populations replaced whole (and people reached dropped) so cross-field checks hold whatever
    # the shipped scenario says
    doc["populations"] = {"affected": affected, "in_need": 10_000 + 5_003 * i, "idps": 0, "refugees": 0,
                          "non_displaced_affected": affected}
    doc["capacity"] = {**doc["capacity"], "inform_lcc": round(1 + (i % 17) * 0.5, 1)}
    doc["capacity"].pop("people_reached", None)
    doc.get("impact", {}).pop("houses_destroyed", None)   # more houses than affected people is refused
    for name, fields in sections.items():
        doc[name] = {**doc.get(name, {}), **fields}
    return doc


def write_jsonl(path: Path, docs: list[Any]) -> Path:
    path.write_text("".join((d if isinstance(d, str) else json.dumps(d)) + "\n" for d in docs), encoding="utf-8")
    return path


def rows_of(path: Path, fmt: str = "") -> list[dict[str, Any]]:
    fmt = fmt or ("csv" if path.suffix == ".csv" else "jsonl")
    rows, _ = read_rows(path.read_bytes().decode("utf-8"), fmt, str(path))
    return [r.values for r in rows]


@pytest.fixture
def crash_hook():
    """Arm the worker test hook for one test, and disarm it afterwards."""
    def arm(scenario_id: str, how: str = "segv") -> None:
        batch_worker.CRASH_ON_ID, batch_worker.CRASH_HOW = scenario_id, how
    yield arm
    batch_worker.CRASH_ON_ID, batch_worker.CRASH_HOW = None, "segv"


def mixed_inputs(folder: Path) -> dict[str, Any]:
    """100 scenarios, 5 of them broken, one exercise file, one scenario that crashes its worker."""
    folder.mkdir()
    good: list[str] = []
    for i in range(30):
        suffix = ".json" if i % 3 == 0 else ".yaml"
        (folder / f"s{i:02d}{suffix}").write_text(json.dumps(variant(i)), encoding="utf-8")
        good.append(f"v-{i:04d}")
    lines: list[Any] = []
    for i in range(30, 96):
        lines.append(variant(i))
    lines[4] = '{"id": "broken-json", "title": '                                  # line 5: not JSON
    lines[8] = variant(900, populations={"in_need": 10_000_000})                   # line 9: in_need > affected
    lines[20] = variant(921)
    lines[20]["id"] = "crash-me"                                                   # line 21: kills its worker
    lines.insert(12, "   ")                                                        # a blank line is not a scenario
    write_jsonl(folder / "more.jsonl", lines)
    good += [d["id"] for d in lines if isinstance(d, dict) and d["id"] not in ("crash-me", "v-0900")]
    (folder / "t-broken.yaml").write_text("id: broken\ntitle: [unclosed\n", encoding="utf-8")
    (folder / "t-typo.yaml").write_text(json.dumps({**variant(950), "populations": {"afected": 10}}), encoding="utf-8")
    (folder / "t-binary.yaml").write_bytes(b"id: x\x00\x01\x02")
    (folder / "t-exercise.yaml").write_text("kind: exercise\ntitle: A drill\n", encoding="utf-8")
    return {"good": good}


def test_every_good_scenario_is_reported_exactly_once_among_broken_files_and_a_crash(tmp_path, ruleset, crash_hook):
    inputs = mixed_inputs(tmp_path / "in")
    crash_hook("crash-me")
    out = tmp_path / "results.jsonl"
    summary = run_batch([str(tmp_path / "in")], ruleset, fmt="jsonl", output=out, workers=2)
    rows = rows_of(out)
    ok_ids = [r["id"] for r in rows if r["status"] == "ok"]
    assert sorted(ok_ids) == sorted(inputs["good"]) and len(ok_ids) == len(set(ok_ids)) == 93
    by_where = {(Path(r["file"]).name, r["line"]): r for r in rows if r["status"] != "ok"}
    assert set(by_where) == {("more.jsonl", 5), ("more.jsonl", 9), ("more.jsonl", 22), ("t-broken.yaml", None),
                             ("t-typo.yaml", None), ("t-binary.yaml", None)}
    assert by_where[("more.jsonl", 5)]["error"].startswith(f"{tmp_path / 'in' / 'more.jsonl'}:5: ")
    assert "more.jsonl:9: populations.in_need: 10,000,000 is more than populations.affected" in by_where[("more.jsonl", 9)]["error"]
    crashed = by_where[("more.jsonl", 22)]
    assert (crashed["status"], crashed["id"]) == ("crashed", "crash-me") and "SIGSEGV" in crashed["error"]
    assert "did you mean 'affected'?" in by_where[("t-typo.yaml", None)]["error"]
    assert "binary file" in by_where[("t-binary.yaml", None)]["error"]
    assert summary.skipped == {"exercise": 1} and summary.status == {"ok": 93, "error": 5, "crashed": 1}
    assert [(r["file"], r["line"] or 0) for r in rows] == sorted((r["file"], r["line"] or 0) for r in rows)


@pytest.mark.parametrize("how, word", [("exit", "code 3"), ("kill", "SIGKILL")])
def test_a_worker_that_exits_or_is_killed_costs_only_its_scenario(tmp_path, ruleset, crash_hook, how, word):
    docs = [variant(i) for i in range(12)]
    docs[5]["id"] = "crash-me"
    crash_hook("crash-me", how)
    out = tmp_path / "r.jsonl"
    run_batch([str(write_jsonl(tmp_path / "in.jsonl", docs))], ruleset, fmt="jsonl", output=out, workers=2)
    rows = rows_of(out)
    assert [r["status"] for r in rows] == ["ok"] * 5 + ["crashed"] + ["ok"] * 6
    assert word in rows[5]["error"]


def test_a_worker_killed_between_two_tasks_loses_nothing_and_a_repeat_is_blamed(tmp_path, ruleset, crash_hook):
    # Killed after evaluating crash-me but before reporting its chunk: crash-me and the other
    # finished tasks are evaluated again by a new worker; dying the same way twice marks it crashed.
    docs = [variant(i) for i in range(80)]     # chunks of five: crash-me is the fourth of the first
    docs[3]["id"] = "crash-me"
    crash_hook("crash-me", "after")
    out = tmp_path / "r.jsonl"
    summary = run_batch([str(write_jsonl(tmp_path / "in.jsonl", docs))], ruleset, fmt="jsonl", output=out, workers=2)
    rows = rows_of(out)
    assert [r["id"] for r in rows] == [d["id"] for d in docs]
    assert [r["status"] for r in rows] == ["ok"] * 3 + ["crashed"] + ["ok"] * 76
    assert "SIGKILL" in rows[3]["error"] and summary.status == {"ok": 79, "crashed": 1}


def test_slow_tasks_are_reported_one_by_one_and_in_order(tmp_path, ruleset, monkeypatch):
    monkeypatch.setattr(batch_worker, "FLUSH_AFTER", 0.0)    # every result is "late": one message each
    docs = [variant(i) for i in range(10)]
    out = tmp_path / "r.jsonl"
    run_batch([str(write_jsonl(tmp_path / "in.jsonl", docs))], ruleset, fmt="jsonl", output=out, workers=2)
    assert [(r["id"], r["status"]) for r in rows_of(out)] == [(d["id"], "ok") for d in docs]


def test_an_evaluation_that_hangs_is_stopped_after_the_timeout(tmp_path, ruleset, crash_hook):
    docs = [variant(i) for i in range(4)]
    docs[1]["id"] = "crash-me"
    crash_hook("crash-me", "hang")
    out = tmp_path / "r.jsonl"
    run_batch([str(write_jsonl(tmp_path / "in.jsonl", docs))], ruleset, fmt="jsonl", output=out, workers=2, timeout=1)
    rows = rows_of(out)
    assert [r["status"] for r in rows] == ["ok", "crashed", "ok", "ok"]
    assert "longer than 1 s" in rows[1]["error"]


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_the_output_is_the_same_bytes_whatever_the_worker_count(tmp_path, ruleset, fmt):
    inputs = mixed_inputs(tmp_path / "in")
    del inputs
    outputs = []
    for jobs in (1, 2, 3):
        out = tmp_path / f"j{jobs}.{fmt}"
        run_batch([str(tmp_path / "in")], ruleset, fmt=fmt, output=out, workers=jobs)
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1] == outputs[2]
    assert outputs[0].count(b"\n") == 99 + (fmt == "csv")


def test_csv_parses_with_the_csv_module_and_defuses_formulas(tmp_path, ruleset, monkeypatch):
    folder = tmp_path / "in"
    folder.mkdir()
    monkeypatch.chdir(folder)
    names = ["=cmd.yaml", "+evil.json", "-dash.jsonl"]
    (folder / "=cmd.yaml").write_text(json.dumps(variant(1)), encoding="utf-8")
    evil = {**variant(2), "id": "=HYPERLINK(\"http://x\")", "title": "@SUM(A1)"}
    (folder / "+evil.json").write_text(json.dumps(evil), encoding="utf-8")
    (folder / "-dash.jsonl").write_text(json.dumps({**variant(3), "id": "-1+2"}) + "\n", encoding="utf-8")
    out = tmp_path / "r.csv"
    run_batch(names, ruleset, fmt="csv", output=out, workers=1)
    text = out.read_bytes().decode("utf-8")
    assert "\r\n" in text and not text.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(text, newline="")))
    assert table[0] == list(COLUMNS) and len(table) == 4 and all(len(r) == len(COLUMNS) for r in table)
    cells = [cell for row in table[1:] for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")]
    assert [row[COLUMNS.index("file")] for row in table[1:]] == ["'=cmd.yaml", "'+evil.json", "'-dash.jsonl"]
    assert table[2][COLUMNS.index("id")] == "'=HYPERLINK(\"http://x\")" and table[3][COLUMNS.index("id")] == "'-1+2"
    # the guard is undone when rows are read back, so --resume recognises every row
    summary = run_batch(names, ruleset, fmt="csv", output=out, workers=1, resume=True)
    assert summary.resumed == 3 and summary.evaluated == 0 and out.read_bytes().decode("utf-8") == text


def test_list_fields_are_joined_in_csv_and_lists_in_jsonl(tmp_path, ruleset):
    out_j, out_c = tmp_path / "r.jsonl", tmp_path / "r.csv"
    for out, fmt in ((out_j, "jsonl"), (out_c, "csv")):
        run_batch([str(BASE)], ruleset, fmt=fmt, output=out, workers=1)
    row = json.loads(out_j.read_text().splitlines()[0])
    assert list(row) == list(COLUMNS) and isinstance(row["leads"], dict) and isinstance(row["flags"], list)
    cells = dict(zip(COLUMNS, list(csv.reader(io.StringIO(out_c.read_text(), newline="")))[1]))
    assert cells["leads"] == "; ".join(f"{k}={v}" for k, v in row["leads"].items())
    assert cells["decision"] == row["decision"] and cells["scenario_sha256"] == row["scenario_sha256"]


# -- interruption and resume -----------------------------------------------------------------

def start_batch(args: list[str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "scaleup", "batch", *args], cwd=cwd, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_rows(path: Path, proc: subprocess.Popen, rows: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if path.exists() and path.read_bytes().count(b"\n") >= rows:
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.005)
    raise AssertionError("the batch wrote no rows in time")


def gone(pgid: int, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


@pytest.fixture(scope="module")
def many(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("many")
    write_jsonl(folder / "many.jsonl", [variant(i) for i in range(800)])
    return folder


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_resume_after_sigkill_gives_the_same_file_as_an_uninterrupted_run(many, tmp_path, ruleset, fmt):
    full = tmp_path / f"full.{fmt}"
    run_batch([str(many / "many.jsonl")], ruleset, fmt=fmt, output=full, workers=2)
    out = tmp_path / f"cut.{fmt}"
    out.write_text("yesterday's results\n")
    proc = start_batch([str(many / "many.jsonl"), "-o", str(out), "-j", "2"], tmp_path)
    wait_for_rows(partial_path(out), proc, 40)   # rows go to .cut.jsonl.partial while the run lasts
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()
    written = len(rows_of(partial_path(out), fmt))
    assert 0 < written < 800
    assert out.read_text() == "yesterday's results\n"   # never touched by the killed run
    out.unlink()   # not batch output: --resume would refuse it
    result = CliRunner().invoke(main, ["batch", str(many / "many.jsonl"), "-o", str(out), "-j", "2", "--resume"])
    assert result.exit_code == 0, result.stderr
    assert f"resumed: {written}" in result.stderr
    assert out.read_bytes() == full.read_bytes()


def test_a_killed_parent_leaves_no_worker_behind(many, tmp_path):
    out = tmp_path / "r.jsonl"
    proc = start_batch([str(many / "many.jsonl"), "-o", str(out), "-j", "2"], tmp_path)
    wait_for_rows(partial_path(out), proc, 20)
    os.kill(proc.pid, signal.SIGKILL)   # the parent only, as `kill -9 <pid>` does
    proc.communicate()
    assert gone(proc.pid), "worker processes outlived their parent"


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupted_batch_keeps_its_rows_and_says_how_to_resume(many, tmp_path, ruleset, sig, code):
    out = tmp_path / "r.jsonl"
    proc = start_batch([str(many / "many.jsonl"), "-o", str(out), "-j", "2"], tmp_path)
    wait_for_rows(partial_path(out), proc, 40)
    # Ctrl-C reaches the whole process group; SIGTERM is usually sent to the parent alone
    (os.killpg if sig == signal.SIGINT else os.kill)(proc.pid, sig)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == code, stderr
    assert "resume with: scaleup batch" in stderr and "--resume" in stderr
    assert f"(their rows are in {partial_path(out)}; {out} is unchanged)" in stderr
    assert not out.exists()   # an interrupted run replaces nothing; its rows wait in the partial file
    text = partial_path(out).read_bytes().decode("utf-8")
    rows, valid = read_rows(text, "jsonl", str(out))
    assert valid == len(text) and 40 <= len(rows) < 800
    summary = run_batch([str(many / "many.jsonl")], ruleset, fmt="jsonl", output=out, workers=2, resume=True)
    assert summary.resumed == len(rows) and summary.status["ok"] == 800
    assert len(rows_of(out)) == 800 and not partial_path(out).exists()


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_torn_last_row_is_dropped_and_redone_on_resume(tmp_path, ruleset, fmt):
    data = write_jsonl(tmp_path / "in.jsonl", [variant(i) for i in range(30)])
    full = tmp_path / f"full.{fmt}"
    run_batch([str(data)], ruleset, fmt=fmt, output=full, workers=1)
    text = full.read_bytes().decode("utf-8")
    lines = text.split("\n")
    torn = "\n".join(lines[:11]) + "\n" + lines[11][: len(lines[11]) // 2]
    out = tmp_path / f"cut.{fmt}"
    out.write_text(torn, encoding="utf-8", newline="")
    summary = run_batch([str(data)], ruleset, fmt=fmt, output=out, workers=2, resume=True)
    assert summary.resumed == 11 - (fmt == "csv") and out.read_bytes().decode("utf-8") == text


def test_resume_redoes_crashed_rows_and_drops_rows_of_inputs_not_given(tmp_path, ruleset):
    data = write_jsonl(tmp_path / "in.jsonl", [variant(i) for i in range(10)])
    full = tmp_path / "full.jsonl"
    run_batch([str(data)], ruleset, fmt="jsonl", output=full, workers=1)
    rows = [json.loads(line) for line in full.read_text().splitlines()]
    rows[3] = {**rows[3], "status": "crashed", "decision": None, "error": "the worker process died (SIGSEGV)"}
    stranger = {**rows[0], "file": "gone.jsonl"}
    out = tmp_path / "r.jsonl"
    out.write_text("".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in [stranger] + rows))
    summary = run_batch([str(data)], ruleset, fmt="jsonl", output=out, workers=1, resume=True)
    assert (summary.resumed, summary.evaluated, summary.dropped) == (9, 1, 1)
    assert out.read_bytes() == full.read_bytes()


def test_resume_refuses_an_output_of_another_rule_set(tmp_path, ruleset):
    out = tmp_path / "r.jsonl"
    run_batch([str(BASE)], ruleset, fmt="jsonl", output=out, workers=1)
    out.write_text(out.read_text().replace(ruleset.sha256, "0" * 64))
    result = CliRunner().invoke(main, ["batch", str(BASE), "-o", str(out), "--resume", "-j", "1"])
    assert result.exit_code == 1
    assert "cannot be mixed" in result.stderr and "without --resume" in result.stderr


def test_resume_refuses_a_file_that_is_not_batch_output(tmp_path, ruleset):
    out = tmp_path / "r.jsonl"
    out.write_text('{"hello": 1}\n{"x": 2}\n')
    with pytest.raises(ScaleupError, match=r"r.jsonl:1: not a result row"):
        run_batch([str(BASE)], ruleset, fmt="jsonl", output=out, workers=1, resume=True)


# -- a full disk never harms the output (issue 17, item 10) ------------------------------------

def fill_disk_after(monkeypatch, rows: int) -> None:
    """Every row write after the first ``rows`` fails with ENOSPC, as on a full disk."""
    from scaleup.batch import output as batch_output
    real, count = batch_output.RowWriter._put, [0]

    def put(self, text: str) -> None:
        count[0] += 1
        if count[0] > rows:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(self, text)
    monkeypatch.setattr(batch_output.RowWriter, "_put", put)


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_full_disk_mid_run_keeps_the_previous_file_and_resume_finishes_the_run(tmp_path, ruleset, monkeypatch, fmt):
    data = write_jsonl(tmp_path / "in.jsonl", [variant(i) for i in range(12)])
    full = tmp_path / f"full.{fmt}"
    run_batch([str(data)], ruleset, fmt=fmt, output=full, workers=1)
    out = tmp_path / f"out.{fmt}"
    out.write_text("yesterday\n")
    fill_disk_after(monkeypatch, 6)
    result = CliRunner().invoke(main, ["batch", str(data), "-o", str(out), "-j", "1", "--no-progress"])
    monkeypatch.undo()
    assert result.exit_code == 1 and "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: {out}: cannot write the file: No space left on device; the file was left as it was "
                      f"(free some disk space, or write to another disk; the rows finished so far are in "
                      f"{partial_path(out)}: run again with --resume to continue)"]
    assert out.read_text() == "yesterday\n"
    assert len(rows_of(partial_path(out), fmt)) == 6 - (fmt == "csv")
    out.unlink()   # not batch output; the partial file holds the run
    summary = run_batch([str(data)], ruleset, fmt=fmt, output=out, workers=1, resume=True)
    assert summary.resumed == 6 - (fmt == "csv") and out.read_bytes() == full.read_bytes()
    assert sorted(os.listdir(tmp_path)) == sorted(["in.jsonl", full.name, out.name])


def test_a_full_disk_during_resume_keeps_the_old_output_and_every_row_evaluated(tmp_path, ruleset, monkeypatch):
    data = write_jsonl(tmp_path / "in.jsonl", [variant(i) for i in range(12)])
    full = tmp_path / "full.jsonl"
    run_batch([str(data)], ruleset, fmt="jsonl", output=full, workers=1)
    first = write_jsonl(tmp_path / "first.jsonl", [variant(i) for i in range(12)][:5])
    out = tmp_path / "out.jsonl"
    run_batch([str(first)], ruleset, fmt="jsonl", output=out, workers=1)
    before = out.read_bytes()
    first.rename(tmp_path / "gone.jsonl")
    data.rename(first)   # the same file name, now with 12 scenarios: 5 are reused, 7 evaluated
    fill_disk_after(monkeypatch, 8)   # 5 copied, then 3 written to both files (1 row and a half)
    with pytest.raises(ScaleupError, match="No space left on device; the file was left as it was"):
        run_batch([str(first)], ruleset, fmt="jsonl", output=out, workers=1, resume=True)
    monkeypatch.undo()
    assert out.read_bytes() == before
    assert [r["id"] for r in rows_of(partial_path(out))] == ["v-0005"]   # evaluated, appended, kept
    assert not (tmp_path / ".out.jsonl.resume").exists()
    summary = run_batch([str(first)], ruleset, fmt="jsonl", output=out, workers=1, resume=True)
    assert (summary.resumed, summary.evaluated) == (6, 6)
    assert out.read_bytes() == full.read_bytes().replace(str(data).encode(), str(first).encode())
    assert not partial_path(out).exists()


def test_an_output_link_stays_a_link_and_hard_links_see_the_new_rows(tmp_path, ruleset):
    data = write_jsonl(tmp_path / "in.jsonl", [variant(i) for i in range(3)])
    real, twin, link = tmp_path / "real.jsonl", tmp_path / "twin.jsonl", tmp_path / "link.jsonl"
    real.write_text("old\n")
    os.link(real, twin)
    link.symlink_to(real)
    real.chmod(0o640)
    run_batch([str(data)], ruleset, fmt="jsonl", output=link, workers=1)
    assert link.is_symlink() and len(rows_of(real)) == 3 and twin.read_bytes() == real.read_bytes()
    assert stat.S_IMODE(real.stat().st_mode) == 0o640 and not partial_path(link).exists()
    twin.unlink()
    run_batch([str(data)], ruleset, fmt="jsonl", output=link, workers=1, resume=True)
    assert link.is_symlink() and len(rows_of(real)) == 3 and stat.S_IMODE(real.stat().st_mode) == 0o640


def test_resume_ignores_an_older_output_of_another_rule_set_when_a_partial_run_waits(tmp_path, ruleset):
    data = write_jsonl(tmp_path / "in.jsonl", [variant(i) for i in range(6)])
    full = tmp_path / "full.jsonl"
    run_batch([str(data)], ruleset, fmt="jsonl", output=full, workers=1)
    out = tmp_path / "out.jsonl"
    out.write_text(full.read_text().replace(ruleset.sha256, "0" * 64))   # yesterday, another rule set
    partial_path(out).write_text("".join(full.read_text().splitlines(keepends=True)[:2]))   # today's, interrupted
    summary = run_batch([str(data)], ruleset, fmt="jsonl", output=out, workers=1, resume=True)
    assert (summary.resumed, summary.evaluated) == (2, 4) and out.read_bytes() == full.read_bytes()


def test_rows_are_read_back_one_by_one_with_their_byte_ranges(tmp_path):
    from scaleup.batch.output import RowScan, RowWriter, csv_line
    rows = [dict.fromkeys(COLUMNS) | {"file": f"a{i}.yaml", "id": f"é-{i}", "status": "ok", "leads": {},
                                         "cluster_leads": {}, "flags": [], "mismatches": [],
                                         "error": "two\nlines" if i == 1 else None} for i in range(3)]
    for fmt in ("jsonl", "csv"):
        buffer = io.StringIO()
        writer = RowWriter(buffer, fmt)
        for row in rows:
            writer.write(row)
        data = buffer.getvalue().encode("utf-8")
        scan = RowScan(io.BytesIO(data + data[-30:-5]), fmt, "o")   # a torn last row
        got = list(scan)
        assert [v["id"] for v, _, _ in got] == ["é-0", "é-1", "é-2"] and scan.valid == len(data)
        assert got[1][0]["error"] == "two\nlines" and data[got[2][1]:got[2][2]].decode().count("é-2") == 1
    header = csv_line(COLUMNS).encode()
    with pytest.raises(ScaleupError, match="o:2: not a result row of this scaleup version: expected"):
        list(RowScan(io.BytesIO(header + b"a,b\r\n" + header), "csv", "o"))   # damaged, not the last row
    with pytest.raises(ScaleupError, match="o:1: not a result row .*header"):
        list(RowScan(io.BytesIO(b"x,y\r\n"), "csv", "o"))
    with pytest.raises(ScaleupError, match="o:1: not UTF-8 text"):
        list(RowScan(io.BytesIO(b"\xff\n"), "jsonl", "o"))
    assert list(RowScan(io.BytesIO(header[:9]), "csv", "o")) == [] and list(RowScan(io.BytesIO(b'{"a'), "jsonl", "o")) == []


def test_duplicate_ids_are_found_without_keeping_the_ids(tmp_path, ruleset):
    from scaleup.batch.ids import SeenIds
    seen = SeenIds(4)   # grows past what it was sized for
    assert [seen.add(f"id-{i % 300}") for i in range(600)] == [False] * 300 + [True] * 300 and len(seen) == 300
    data = write_jsonl(tmp_path / "in.jsonl", [variant(1), variant(2), variant(1)])
    summary = run_batch([str(data)], ruleset, fmt="jsonl", output=tmp_path / "o.jsonl", workers=1)
    assert summary.duplicate_ids == [f"{data}:3: id 'v-0001' is also used by an earlier scenario of this batch"]


# -- the command line --------------------------------------------------------------------------

def test_check_exits_3_on_a_mismatch_and_1_when_a_scenario_is_also_invalid(tmp_path):
    wrong = {**variant(1), "expect": {"scale_up": "not_applicable"}}
    (tmp_path / "wrong.json").write_text(json.dumps(wrong), encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(main, ["batch", str(tmp_path), "--check", "-j", "1", "-f", "table"])
    assert result.exit_code == 3, result.stderr
    assert f"mismatch: {tmp_path / 'wrong.json'}: scale_up: expected 'not_applicable'" in result.stderr
    assert "expectations unmet: 1" in result.stderr
    (tmp_path / "bad.yaml").write_text("id: bad\n", encoding="utf-8")
    result = runner.invoke(main, ["batch", str(tmp_path), "--check", "-j", "1", "-f", "table"])
    assert result.exit_code == 1 and "error: " in result.stderr and "mismatch: " in result.stderr


def test_without_an_output_file_rows_stream_to_stdout_as_json_lines_and_the_summary_to_stderr(tmp_path):
    data = write_jsonl(tmp_path / "in.jsonl", [variant(i) for i in range(3)])
    result = CliRunner().invoke(main, ["batch", str(data), "-j", "2"])
    assert result.exit_code == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["v-0000", "v-0001", "v-0002"] and list(rows[0]) == list(COLUMNS)
    assert "decision" in result.stderr and "3 of 3 scenarios; 3 evaluated" in result.stderr
    assert "evaluations/s, 2 workers" in result.stderr


def test_the_table_format_shows_one_readable_line_per_scenario(tmp_path):
    result = CliRunner().invoke(main, ["batch", str(BASE), "-j", "1", "-f", "table"])
    header, line = result.stdout.splitlines()
    assert header.split()[:4] == ["id", "status", "decision", "route"]
    assert line.startswith("cyclone-coastal") and str(BASE) in line


def test_missing_paths_duplicate_ids_and_usage_mistakes_are_reported(tmp_path):
    runner = CliRunner()
    (tmp_path / "a.json").write_text(json.dumps(variant(1)), encoding="utf-8")
    (tmp_path / "b.json").write_text(json.dumps(variant(1)), encoding="utf-8")
    result = runner.invoke(main, ["batch", str(tmp_path), str(tmp_path / "nope.yaml"), "-j", "1", "-f", "table"])
    assert result.exit_code == 1
    assert "nope.yaml: no such file or folder" in result.stderr
    assert "warning: " in result.stderr and "id 'v-0001' is also used by" in result.stderr
    result = runner.invoke(main, ["batch", str(tmp_path), "--resume"])
    assert result.exit_code == 2 and "--resume needs -o" in result.stderr
    result = runner.invoke(main, ["batch", str(tmp_path), "-o", str(tmp_path / "r.txt")])
    assert result.exit_code == 1 and "name it *.jsonl, *.csv or *.xlsx" in result.stderr


def test_plain_progress_lines_stay_quiet_in_a_short_run():
    summary = BatchSummary(total=1, processed=1)
    stream = io.StringIO()
    ProgressDisplay(stream, "lines", interval=60)(summary)
    assert stream.getvalue() == ""


def test_progress_lines_show_count_rate_and_eta():
    summary = BatchSummary(total=200, evaluated=50, processed=50)
    stream = io.StringIO()
    display = ProgressDisplay(stream, "lines")
    assert display.describe(summary, 10.0) == "batch: 50/200 (25%), 5/s, ETA 0:30"
    bar = ProgressDisplay(stream, "bar").describe(summary, 10.0)
    assert bar.startswith(" 25% [######------------------] 50/200") and "ETA 0:30" in bar


def test_the_progress_bar_redraws_one_line_and_is_erased_at_the_end():
    summary = BatchSummary(total=2)
    stream = io.StringIO()
    display = ProgressDisplay(stream, "bar", redraw=0)
    summary.processed = 1
    display(summary)
    summary.processed = 2
    display(summary)
    display.close()
    text = stream.getvalue()
    assert text.count("\r") == 3 and "2/2" in text and "\n" not in text and text.endswith("\r\x1b[K")


def test_the_first_stop_signal_asks_the_run_to_stop_and_sets_the_exit_code():
    with StopFlag() as stop:
        assert not stop()
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop() and stop.exit_code == 143
    assert signal.getsignal(signal.SIGTERM) is not stop._handle


def test_progress_is_a_bar_on_a_terminal_and_plain_lines_elsewhere():
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True
    assert progress_mode(None, Tty()) == "bar" and progress_mode(False, Tty()) == "off"
    assert progress_mode(None, io.StringIO()) == "lines" and progress_mode(True, io.StringIO()) == "bar"
    assert progress_mode(False, io.StringIO()) == "off"
