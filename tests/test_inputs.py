"""Inputs: what a command is given is found without following links into loops, within a bound,
stoppable, never read from a FIFO or a device, never confused with the command's own output; and
a run that evaluates nothing says so and fails."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from scaleup.batch.run import run_batch
from scaleup.batch.pool import MAX_WORKERS, cap_workers
from scaleup.cli.main import main
from scaleup.errors import ScaleupError
from scaleup.scenario.search import glob_paths
from scaleup.scenario.inputs import find_inputs
from scaleup.rules.load import load_ruleset

ROOT = Path(__file__).resolve().parent.parent
CYCLONE = ROOT / "scenarios" / "cyclone-coastal.yaml"


def run(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def ruleset():
    return load_ruleset("iasc-2018")


def scenario(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(CYCLONE, path)
    return path


def looped_tree(root: Path) -> Path:
    """t/a/c.yaml, with t/a/up -> .. and t/a/b/down -> ../.. : glob.glob('t/**/*.yaml') explodes."""
    scenario(root / "t" / "a" / "c.yaml")
    (root / "t" / "a" / "b").mkdir()
    (root / "t" / "a" / "up").symlink_to("..")
    (root / "t" / "a" / "b" / "down").symlink_to("../..")
    return root / "t"


# --- item 4: links, loops, bounds, signals ------------------------------------------------------

def test_a_glob_and_a_walk_over_a_symlink_loop_find_each_file_once_and_quickly(tmp_path: Path) -> None:
    tree = looped_tree(tmp_path)
    started = time.monotonic()
    by_glob = find_inputs([f"{tree}/**/*.yaml"])
    by_walk = find_inputs([str(tree)])
    assert time.monotonic() - started < 5
    assert by_glob.files == by_walk.files == [tree / "a" / "c.yaml"]
    assert by_glob.problems == by_walk.problems == []


def test_a_linked_folder_named_directly_or_by_a_one_level_wildcard_is_followed(tmp_path: Path) -> None:
    scenario(tmp_path / "real" / "x.yaml")
    (tmp_path / "links").mkdir()
    (tmp_path / "links" / "here").symlink_to(tmp_path / "real")
    assert find_inputs([str(tmp_path / "links" / "here")]).files == [tmp_path / "links" / "here" / "x.yaml"]
    assert find_inputs([f"{tmp_path}/links/*/x.yaml"]).files == [tmp_path / "links" / "here" / "x.yaml"]
    assert find_inputs([str(tmp_path / "links")]).files == []   # inside a walk: not followed


def test_globs_match_like_the_standard_library_on_a_tree_without_links(tmp_path: Path) -> None:
    import glob
    for name in ("a.yaml", "b.yml", ".hidden.yaml", "s/c.yaml", "s/t/d.json", "s/.h/e.yaml", "s/[x].yaml"):
        scenario(tmp_path / name)
    for pattern in ("*.yaml", "**/*.yaml", "s/**", "s/**/*.json", "*/*.yaml", "s/?.yaml", "**/[ab].y*ml",
                    ".*.yaml", "s/**/**/d.json", "s/[[]x].yaml"):
        mine = sorted(p for p in glob_paths(f"{tmp_path}/{pattern}") if os.path.isfile(p))
        theirs = sorted({p for p in glob.glob(f"{tmp_path}/{pattern}", recursive=True) if os.path.isfile(p)})
        assert mine == theirs and mine, pattern   # (glob repeats a file that a/**/** reaches twice)


def test_more_inputs_than_the_limit_is_one_clear_error(tmp_path: Path) -> None:
    for i in range(4):
        scenario(tmp_path / f"s{i}.yaml")
    with pytest.raises(ScaleupError) as caught:
        find_inputs([str(tmp_path)], limit=3)
    assert str(caught.value) == (f"{tmp_path}: the inputs name more than 3 files (the limit) "
                                 "(split the run: give fewer folders, or narrower patterns)")


def test_a_stop_request_ends_the_expansion_and_the_batch_writes_nothing(tmp_path: Path, ruleset) -> None:
    tree = looped_tree(tmp_path)
    asked = []

    def stop() -> bool:
        asked.append(1)
        return len(asked) > 2
    found = find_inputs([f"{tree}/**/*.yaml"], should_stop=stop)
    assert found.stopped
    out = tmp_path / "out.jsonl"
    summary = run_batch([str(tree)], ruleset, fmt="jsonl", output=out, should_stop=lambda: True)
    assert summary.interrupted and summary.evaluated == 0 and not out.exists()


def _wait_until_it_catches(pid: int, signum: int, timeout: float = 60) -> None:
    """Wait until process ``pid`` has installed a handler for ``signum`` (Linux: /proc/PID/status)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = Path(f"/proc/{pid}/status").read_text()
        caught = int(next(line for line in status.splitlines() if line.startswith("SigCgt:")).split()[1], 16)
        if caught & (1 << (signum - 1)):
            return
        time.sleep(0.05)
    pytest.fail(f"process {pid} never installed its handler for signal {signum}")


def test_sigterm_during_a_huge_expansion_stops_the_batch_at_once(tmp_path: Path) -> None:
    """Before, a quoted glob over a deep tree of links (here 2 ** 20 paths) ran on, ignoring SIGTERM."""
    level = tmp_path / "deep"
    level.mkdir()
    (level / "x").symlink_to(".")
    (level / "y").symlink_to(".")
    proc = subprocess.Popen([sys.executable, "-m", "scaleup", "batch", f"{level}/*/*/*/*/*/*/*/*/*/*/*/*/*/*/*/*/*/*/*/*/*.yaml",
                             "-j", "1", "--no-progress"], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_until_it_catches(proc.pid, signal.SIGTERM)   # start-up takes seconds on a loaded machine
    time.sleep(0.5)                                      # and it is inside the expansion by now
    proc.send_signal(signal.SIGTERM)
    try:
        _, err = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("the batch ignored SIGTERM while expanding its inputs")
    assert proc.returncode == 143, err
    assert "interrupted" in err


# --- items 2 and 3: the output is never an input -------------------------------------------------

def test_a_batch_run_twice_into_its_input_folder_leaves_its_output_out(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    scenario(runs / "a.yaml")
    out = runs / "out.jsonl"
    for _ in range(2):
        result = run("batch", runs, "-o", out, "-j", "1", "--no-progress")
        assert result.exit_code == 0, result.output
    assert len(out.read_text().splitlines()) == 1
    assert f"note: {out}: left out: it is this run's output (-o)" in result.stderr


@pytest.mark.parametrize("how", ["same", "link"])
def test_an_output_that_is_one_of_the_inputs_is_refused_and_left_alone(tmp_path: Path, how: str) -> None:
    data = tmp_path / "in.jsonl"
    data.write_text(json.dumps({"title": "x"}) + "\n")
    out = data
    if how == "link":
        out = tmp_path / "out.jsonl"
        out.symlink_to(data)
    result = run("batch", data, "-o", out, "-j", "1", "--no-progress")
    assert result.exit_code == 1
    assert result.stderr == (f"error: {data}: this input is also the output (-o): writing the output would destroy "
                             "it (write the output to another file)\n")
    assert data.read_text() == json.dumps({"title": "x"}) + "\n"
    result = run("evaluate", CYCLONE, "-o", CYCLONE)
    assert result.exit_code == 1 and "this input is also the output" in result.stderr


# --- item 24: things that are not regular files ------------------------------------------------

def test_a_fifo_a_device_a_loop_and_a_folder_named_like_a_file_are_said_to_be_what_they_are(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo.yaml")
    (tmp_path / "x.yaml").mkdir()
    (tmp_path / "loop1").symlink_to("loop2")
    (tmp_path / "loop2").symlink_to("loop1")
    names = ["fifo.yaml", "x.yaml", "loop1"] + (["/dev/zero"] if os.path.exists("/dev/zero") else [])
    for command in (["evaluate"], ["batch", "-j", "1", "--no-progress"], ["validate"]):
        started = time.monotonic()
        result = CliRunner().invoke(main, [command[0], *[n if n.startswith("/") else str(tmp_path / n) for n in names],
                                           *command[1:]])
        assert time.monotonic() - started < 20
        assert result.exit_code == 1, result.output
        hint = "(give the path of a scenario file; FIFOs and devices are never read)"
        assert f"error: {tmp_path}/fifo.yaml: cannot read the file: it is a FIFO (named pipe) {hint}" in result.stderr
        assert f"error: {tmp_path}/loop1: cannot read the file: it is a loop of symbolic links {hint}" in result.stderr
        assert (f"error: {tmp_path}/x.yaml: the folder holds no *.yaml, *.yml, *.json" in result.stderr)
        if "/dev/zero" in names:
            assert f"error: /dev/zero: cannot read the file: it is a character device {hint}" in result.stderr


def test_a_fifo_inside_a_folder_is_reported_and_never_opened(tmp_path: Path) -> None:
    scenario(tmp_path / "a.yaml")
    os.mkfifo(tmp_path / "b.jsonl")
    result = run("batch", tmp_path, "-j", "1", "--no-progress")
    assert result.exit_code == 1 and '"status":"ok"' in result.stdout
    assert f"error: {tmp_path}/b.jsonl: cannot read the file: it is a FIFO (named pipe)" in result.stderr


# --- item 14: -j is capped ---------------------------------------------------------------------

def test_workers_are_capped_at_the_tasks_and_the_documented_maximum(tmp_path: Path) -> None:
    assert cap_workers(48, 2) == 2 and cap_workers(10_000, 10_000) <= MAX_WORKERS and cap_workers(3, 0) == 1
    scenario(tmp_path / "a.yaml")
    scenario(tmp_path / "b.yaml")
    result = run("batch", tmp_path, "-j", "48", "--no-progress")
    assert result.exit_code == 0, result.output
    assert "note: 48 workers asked for, 2 started (one per scenario to evaluate: 2)" in result.stderr
    assert result.stderr.rstrip().endswith("(2 workers)") or "2 workers)" in result.stderr


def test_a_sweep_says_so_when_it_caps_the_workers_as_a_batch_does(tmp_path: Path) -> None:
    # sweep shares batch's cap and its note (scaleup.batch.pool.plan_workers); one point: one worker
    scenario(tmp_path / "a.yaml")
    result = run("sweep", tmp_path / "a.yaml", "--vary", "hazard.onset=gradual", "-j", "48", "--no-progress")
    assert result.exit_code == 0, result.output
    assert "note: 48 workers asked for, 1 started (one per scenario to evaluate: 1)" in result.stderr
    assert "note:" not in run("sweep", tmp_path / "a.yaml", "--vary", "hazard.onset=gradual", "--no-progress").stderr


# --- item 17: nothing evaluated, kinds, arrays ---------------------------------------------------

@pytest.mark.parametrize("kind", ["Scenario", "scenario ", "", "scenarios", 3])
def test_an_unknown_kind_is_an_error_with_a_did_you_mean_even_under_check(tmp_path: Path, kind: object) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(CYCLONE.read_text() + f"\nkind: {json.dumps(kind)}\n")
    line = len(path.read_text().splitlines())
    for command in (["evaluate", "--check"], ["batch", "--check", "-j", "1", "--no-progress"]):
        result = CliRunner().invoke(main, [command[0], str(path), *command[1:]])
        assert result.exit_code == 1, result.output
        assert f"{path}:{line}: kind: unknown kind {kind!r}; expected one of scenario, exercise, answer_sheet" in result.stderr
        if kind not in ("", 3):
            assert "(did you mean 'scenario'?)" in result.stderr


def test_when_nothing_is_evaluated_yesterdays_report_is_replaced_and_the_exit_is_1(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    out.write_text('{"yesterday": true}\n')
    broken = tmp_path / "broken.yaml"
    broken.write_text("title: [\n")
    result = run("evaluate", broken, "-f", "json", "-o", out)
    assert result.exit_code == 1
    assert out.read_text() == "[]\n"
    assert f"error: no scenario was evaluated; {out} now holds an empty report" in result.stderr
    exercise = tmp_path / "drill.yaml"
    exercise.write_text("kind: exercise\ntitle: A drill\n")
    for command in (["evaluate"], ["batch", "-j", "1", "--no-progress"]):
        result = CliRunner().invoke(main, [command[0], str(exercise), *command[1:]])
        assert result.exit_code == 1 and "no scenario was evaluated" in result.stderr


def test_a_folder_or_several_paths_always_give_a_json_array(tmp_path: Path) -> None:
    scenario(tmp_path / "a.yaml")
    (tmp_path / "b.yaml").write_text("title: [\n")
    for args in ([tmp_path], [tmp_path / "a.yaml", tmp_path / "b.yaml"], [f"{tmp_path}/*.yaml"]):
        result = run("evaluate", *args, "-f", "json")
        assert result.exit_code == 1
        data = json.loads(result.stdout)
        assert isinstance(data, list) and len(data) == 1
    result = run("evaluate", tmp_path / "a.yaml", "-f", "json")
    assert isinstance(json.loads(result.stdout), dict)


# --- item 11: file names that are not UTF-8 --------------------------------------------------------

@pytest.mark.skipif(sys.platform != "linux", reason="needs byte file names")
def test_a_file_name_that_is_not_utf8_is_shown_escaped_in_every_report(tmp_path: Path) -> None:
    bad = Path(os.fsdecode(bytes(tmp_path) + b"/crisis-\xff.yaml"))
    shutil.copyfile(CYCLONE, bad)
    broken = Path(os.fsdecode(bytes(tmp_path) + b"/broken-\xfe.yaml"))
    broken.write_text("title: [\n")
    shown = f"{tmp_path}/crisis-\\xff.yaml"
    for fmt in ("text", "json", "markdown", "html"):
        out = tmp_path / f"out.{fmt}"
        result = run("evaluate", bad, "-f", fmt, "-o", out)
        assert result.exit_code == 0, result.output
        text = out.read_text(encoding="utf-8")   # UTF-8 throughout; Markdown escapes the backslash
        assert "xff.yaml" in text or fmt in ("text", "json")
    for suffix in ("csv", "jsonl"):
        out = tmp_path / f"rows.{suffix}"
        result = run("batch", bad, broken, "-o", out, "-j", "1", "--no-progress")
        assert result.exit_code == 1
        text = out.read_text(encoding="utf-8")
        if suffix == "jsonl":
            text = "".join(json.loads(line)["file"] + "\n" for line in text.splitlines())
        assert shown in text and f"{tmp_path}/broken-\\xfe.yaml" in text
    result = run("validate", bad, broken)
    assert f"ok: {shown}" in result.stdout and f"{tmp_path}/broken-\\xfe.yaml:2: invalid YAML" in result.stderr
