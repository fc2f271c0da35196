"""Batches and sweeps on a Dask cluster: the same bytes as a local run, a crashing scenario costs
only itself, ``--resume`` works, and the command line connects to a scheduler.

One LocalCluster of two worker threads (``processes=False``) serves the whole module; each Dask
worker evaluates its shards on scaleup's own evaluation processes, as on a real cluster.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

pytest.importorskip("distributed", reason="Dask is not installed (pip install 'scaleup[dask]')")

from dask.distributed import Client, LocalCluster  # noqa: E402

from scaleup.batch import worker as batch_worker  # noqa: E402
from scaleup.batch.cluster import DaskPool, close_kept, dask_client  # noqa: E402
from scaleup.batch.run import run_batch  # noqa: E402
from scaleup.cli.main import main  # noqa: E402
from scaleup.errors import ScaleupError  # noqa: E402
from scaleup.rules.load import load_ruleset  # noqa: E402
from scaleup.scenario.yamlio import load_document  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
NAMES = ("cyclone-coastal", "conflict-idp-consider", "flood-national-led", "refugee-influx-border",
         "earthquake-capital", "pheic-alone")


@pytest.fixture(scope="module")
def ruleset():
    return load_ruleset("iasc-2018")


@pytest.fixture(scope="module")
def client():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            Client(cluster) as connected:
        yield connected
    close_kept()


def jsonl(path: Path, names=NAMES, bad: bool = True) -> Path:
    lines = [json.dumps(load_document(ROOT / "scenarios" / f"{n}.yaml").data, default=str) for n in names]
    if bad:
        lines.insert(2, '{"id": "broken", "populations": {"affected": -1}}')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def local(paths, ruleset, workers: int = 1, **kwargs) -> str:
    out = io.StringIO()
    run_batch([str(p) for p in paths], ruleset, fmt="jsonl", stream=out, workers=workers, **kwargs)
    return out.getvalue()


def test_a_batch_on_two_dask_workers_is_byte_identical_to_a_local_run(tmp_path, client, ruleset):
    source = jsonl(tmp_path / "variants.jsonl")
    pool = DaskPool(client, ruleset, shard=2)
    assert pool.workers == 2
    out = io.StringIO()
    summary = run_batch([str(source)], ruleset, fmt="jsonl", stream=out, workers=pool.workers, pool=pool)
    assert out.getvalue() == local([source], ruleset)
    assert summary.status == {"ok": len(NAMES), "error": 1} and summary.workers == 2
    assert sum(t.tasks for t in pool.timings) == len(NAMES) + 1 and len(pool.timings) == 4


def test_a_crashing_scenario_on_the_cluster_costs_only_itself(tmp_path, client, ruleset, monkeypatch):
    source = jsonl(tmp_path / "variants.jsonl", bad=False)
    monkeypatch.setattr(batch_worker, "CRASH_ON_ID", "flood-national-led")
    out = io.StringIO()
    run_batch([str(source)], ruleset, fmt="jsonl", stream=out, workers=2, pool=DaskPool(client, ruleset, shard=3))
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["status"] for r in rows] == ["ok", "ok", "crashed", "ok", "ok", "ok"]
    assert "the worker process died (SIGSEGV)" in rows[2]["error"]
    assert out.getvalue() == local([source], ruleset, workers=2)


def test_resume_on_the_cluster_finishes_a_local_run_byte_for_byte(tmp_path, client, ruleset):
    first = jsonl(tmp_path / "a.jsonl", NAMES[:3], bad=False)
    second = jsonl(tmp_path / "b.jsonl", NAMES[3:], bad=False)
    output = tmp_path / "out.jsonl"
    run_batch([str(first)], ruleset, fmt="jsonl", output=output, workers=1)
    summary = run_batch([str(first), str(second)], ruleset, fmt="jsonl", output=output, workers=2, resume=True,
                        pool=DaskPool(client, ruleset, shard=2))
    assert summary.resumed == 3 and summary.evaluated == 3
    assert output.read_text(encoding="utf-8") == local([first, second], ruleset)


def test_the_command_line_runs_batch_and_sweep_on_a_scheduler(tmp_path, client):
    source = jsonl(tmp_path / "variants.jsonl")
    address = client.scheduler.address
    runner = CliRunner()
    on_cluster = runner.invoke(main, ["batch", str(source), "-o", str(tmp_path / "c.csv"), "--cluster", "dask",
                                      "--scheduler", address, "--no-progress"])
    assert on_cluster.exit_code == 1, on_cluster.stderr   # the broken line is an error row
    here = runner.invoke(main, ["batch", str(source), "-o", str(tmp_path / "l.csv"), "-j", "1", "--no-progress"])
    assert (tmp_path / "c.csv").read_bytes() == (tmp_path / "l.csv").read_bytes()
    assert "2 workers" in on_cluster.stderr
    sweep = ["sweep", str(ROOT / "scenarios" / "cyclone-coastal.yaml"), "--vary", "populations.affected=100000:4000000",
             "--vary", "hazard.onset=sudden,gradual", "--sample", "lhs", "6", "--no-progress"]
    swept = runner.invoke(main, sweep + ["--cluster", "dask", "--scheduler", address])
    assert swept.exit_code == 0, swept.stderr
    assert swept.stdout == runner.invoke(main, sweep + ["-j", "1"]).stdout and here.exit_code == 1


def test_cluster_options_are_checked(tmp_path, monkeypatch):
    from scaleup.batch import cluster as batch_dask
    runner = CliRunner()
    alone = runner.invoke(main, ["batch", str(ROOT / "scenarios" / "pheic-alone.yaml"), "--scheduler", "tcp://x:1"])
    assert alone.exit_code == 2 and "--scheduler needs --cluster dask" in alone.stderr
    monkeypatch.setattr(batch_dask, "CONNECT_TIMEOUT", "0.5s")
    with pytest.raises(ScaleupError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"), \
            dask_client("tcp://127.0.0.1:9", 1):
        pass


def test_a_daemonic_dask_worker_says_how_to_let_it_start_evaluation_processes(ruleset, monkeypatch):
    from types import SimpleNamespace

    from scaleup.batch import cluster as batch_dask
    monkeypatch.setattr(batch_dask.multiprocessing, "current_process", lambda: SimpleNamespace(daemon=True))
    with pytest.raises(RuntimeError, match="DASK_DISTRIBUTED__WORKER__DAEMON=False"):
        batch_dask.evaluate_shard([], ruleset)
