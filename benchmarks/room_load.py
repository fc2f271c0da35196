"""Load on the room server: 30 simulated participants answering through the HTTP API.

A real server (uvicorn, in its own process, on a free local port; join rate limit raised, since
every simulated phone comes from 127.0.0.1) serves scenarios/exercises/cyclone-idp-surge.yaml.
30 participants join; at every inject they all start at once (a barrier, the worst case: the
facilitator says "answer now"), answer every scored question of the inject, change one answer,
and poll as their page does; the facilitator's live panel is fetched meanwhile; then the
facilitator locks, reveals and moves on. Latency is wall time per request, client side (so it
includes the HTTP round trip and writing the sheet, fsync included). At the end every sheet on
disk is read back and compared with what was sent.

Usage:
    python benchmarks/room_load.py [--participants 30] [--exercise FILE]
Prints p50, p99 and max latency per kind of request and a check line. Not a test.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TOKEN = "benchmark-facilitator-token"


def serve(exercise: str, folder: str, port: int) -> None:
    """The server process: the room app with a join limit fit for one address playing 30 phones."""
    import uvicorn

    from scaleup.exercise.load import load_exercise
    from scaleup.room.app import create_app
    from scaleup.room.state import Room
    room = Room(load_exercise(exercise), Path(folder))
    room.latest() or room.new()
    app = create_app(room, TOKEN, join_url=lambda s: f"http://127.0.0.1:{port}/s/{s.sid}/", join_limit=10_000)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=30)
    parser.add_argument("--exercise", default=str(ROOT / "scenarios" / "exercises" / "cyclone-idp-surge.yaml"))
    parser.add_argument("--serve", nargs=2, metavar=("FOLDER", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.exercise, args.serve[0], int(args.serve[1]))
        return 0

    import httpx2 as httpx

    from scaleup.exercise.load import load_exercise
    from scaleup.exercise.score import read_sheet
    ex = load_exercise(args.exercise)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    folder = tempfile.mkdtemp(prefix="room-load-")
    proc = subprocess.Popen([sys.executable, __file__, "--exercise", args.exercise, "--serve", folder, str(port)],
                            env=dict(os.environ, PYTHONPATH=str(ROOT)))
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        sid = httpx.get(base + "/", follow_redirects=False).headers["location"].split("/")[2]
        timings: dict[str, list[float]] = {"join": [], "answer": [], "poll": [], "live": []}
        lock = threading.Lock()
        sent: dict[str, dict[str, str]] = {}

        def timed(kind: str, call):  # type: ignore[no-untyped-def]
            start = time.perf_counter()
            response = call()
            elapsed = time.perf_counter() - start
            with lock:
                timings[kind].append(elapsed)
            assert response.status_code in (200, 303), (kind, response.status_code)
            return response

        clients = [httpx.Client(base_url=base, follow_redirects=False) for _ in range(args.participants)]
        for n, client in enumerate(clients):
            timed("join", lambda c=client, n=n: c.post(f"/s/{sid}/join", data={"name": f"Participant {n + 1:02d}"}))
            sent[f"Participant {n + 1:02d}"] = {}
        fac = httpx.Client(base_url=base, follow_redirects=False)
        fac.get(f"/f?token={TOKEN}")
        rng = random.Random(14)
        wall_start = time.perf_counter()
        for step in range(len(ex.steps)):
            questions = [q for q in ex.questions if q.step == step and q.scored]
            barrier = threading.Barrier(args.participants)

            def participant(n: int, client: httpx.Client) -> None:
                name = f"Participant {n + 1:02d}"
                picks = [(q.id, rng.choice(q.options).value) for q in questions]
                if picks:
                    picks.append((picks[0][0], rng.choice(questions[0].options).value))   # a change of mind
                barrier.wait()
                for qid, value in picks:
                    timed("answer", lambda: client.post(f"/s/{sid}/answer", data={"q": qid, "a": value}))
                    sent[name][qid] = value
                    timed("poll", lambda: client.get(f"/s/{sid}/poll"))

            threads = [threading.Thread(target=participant, args=(n, c)) for n, c in enumerate(clients)]
            for t in threads:
                t.start()
            while any(t.is_alive() for t in threads):
                timed("live", lambda: fac.get(f"/s/{sid}/f/live"))
                time.sleep(0.25)
            for t in threads:
                t.join()
            for action in ("lock", "reveal") + (("next",) if step + 1 < len(ex.steps) else ("end",)):
                assert fac.post(f"/s/{sid}/f/{action}", data={"token": TOKEN}).status_code == 303
        wall = time.perf_counter() - wall_start
        on_disk = {}
        for path in Path(folder, sid).glob("answers-*.yaml"):
            sheet = read_sheet(path, ex)
            on_disk[sheet.participant] = dict(sheet.answers)
        load = os.getloadavg()
        print(f"room load: {args.participants} participants, {len(ex.steps)} injects, "
              f"{sum(q.scored for q in ex.questions)} scored questions ({ex.exercise.id}); {wall:.1f} s of answering")
        print(f"{'request':<8} {'count':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
        for kind, values in timings.items():
            if values:
                print(f"{kind:<8} {len(values):>6} {statistics.median(values) * 1000:>8.1f} "
                      f"{pct(values, 99) * 1000:>8.1f} {max(values) * 1000:>8.1f}")
        same = on_disk == sent
        print(f"sheets on disk equal the answers sent: {'yes' if same else 'NO'} ({len(on_disk)} sheets)")
        print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
        return 0 if same else 1
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    sys.exit(main())
