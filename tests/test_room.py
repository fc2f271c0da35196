"""The room server's HTTP API (Starlette TestClient): joining, answering into answer sheets on
disk, the facilitator's actions and their guard, limits (413, join rate), escaping, several
sessions, and resuming from the folder after a restart."""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

pytest.importorskip("starlette")
pytest.importorskip("httpx2")
from starlette.testclient import TestClient  # noqa: E402

from scaleup.cli.main import main  # noqa: E402
from scaleup.errors import ScaleupError  # noqa: E402
from scaleup.exercise.score import read_sheet  # noqa: E402
from scaleup.room import serve as serve_module  # noqa: E402
from scaleup.room.app import JoinLimiter, create_app  # noqa: E402
from scaleup.room.state import STATE, Room, RoomError, Session  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DRILL = ROOT / "tests" / "fixtures" / "exercises" / "drill.yaml"
TOKEN = "facilitator-token-for-tests"


def make(drill, root: Path, **options):
    room = Room(drill, root)
    session = room.latest() or room.new()
    app = create_app(room, TOKEN, join_url=lambda s: f"http://testserver/s/{s.sid}/", **options)
    return room, session, app


def facilitator_client(app) -> TestClient:
    client = TestClient(app, follow_redirects=False)
    assert client.get(f"/f?token={TOKEN}").status_code == 303
    return client


def participant(app, sid: str, name: str = "") -> TestClient:
    client = TestClient(app, follow_redirects=False)
    data = {"anonymous": "1"} if not name else {"name": name}
    assert client.post(f"/s/{sid}/join", data=data).status_code == 303
    return client


def act(client: TestClient, sid: str, action: str) -> int:
    return client.post(f"/s/{sid}/f/{action}", data={"token": TOKEN}).status_code


def test_join_answer_change_and_the_sheet_on_disk_holds_exactly_the_answers(drill, tmp_path):
    room, s, app = make(drill, tmp_path)
    amina = participant(app, s.sid, "Amina")
    anon = participant(app, s.sid)
    assert amina.post(f"/s/{s.sid}/answer", data={"q": "q1", "a": "recommend"}).status_code == 303
    assert amina.post(f"/s/{s.sid}/answer", data={"q": "q1", "a": "consider"}).status_code == 303   # changed
    assert amina.post(f"/s/{s.sid}/answer", data={"q": "q2", "a": "2"}).status_code == 303
    anon.post(f"/s/{s.sid}/answer", data={"q": "q1", "a": "not_recommended"})
    sheets = {read_sheet(p, drill, partial=True).participant: read_sheet(p, drill, partial=True)
              for p in (tmp_path / s.sid).glob("answers-*.yaml")}
    assert sheets["Amina"].answers == {"q1": "consider", "q2": "2"} and sheets["Amina"].problems == []
    assert sheets["Anonymous 2"].answers == {"q1": "not_recommended"}
    page = amina.get(f"/s/{s.sid}/").text
    assert "Amina" in page and 'aria-pressed="true"><span class="n">2</span>Consider' in page
    # a value that is not an option, or a question of another inject, is refused and not written
    amina.post(f"/s/{s.sid}/answer", data={"q": "q2", "a": "7"})
    amina.post(f"/s/{s.sid}/answer", data={"q": "q4", "a": "recommend"})
    assert read_sheet(tmp_path / s.sid / "answers-drill-amina.yaml", drill, partial=True).answers == {"q1": "consider", "q2": "2"}


def test_lock_reveal_next_back_end_and_the_folder_scores_and_debriefs_unchanged(drill, tmp_path):
    room, s, app = make(drill, tmp_path)
    fac = facilitator_client(app)
    ben = participant(app, s.sid, "Ben")
    ben.post(f"/s/{s.sid}/answer", data={"q": "q1", "a": "consider"})
    assert act(fac, s.sid, "lock") == 303
    ben.post(f"/s/{s.sid}/answer", data={"q": "q2", "a": "3"})
    assert "q2" not in s.participants["p1"].answers                    # locked: not taken
    assert "locked" in ben.get(f"/s/{s.sid}/?m=locked").text
    assert act(fac, s.sid, "unlock") == 303
    ben.post(f"/s/{s.sid}/answer", data={"q": "q2", "a": "2"})
    assert act(fac, s.sid, "reveal") == 303
    assert act(fac, s.sid, "unlock") == 409                            # revealed answers stay locked
    page = ben.get(f"/s/{s.sid}/").text
    assert "Engine's answer: <strong>Consider" in page and "Your answer matches the engine's." in page
    assert "because:" in page                                          # the explanation, with citations
    projector = fac.get(f"/s/{s.sid}/f").text
    assert "Engine's answer" in projector and "<svg" in projector and f"http://testserver/s/{s.sid}/" in projector
    big = fac.get(f"/s/{s.sid}/f/qr").text
    assert "<svg" in big and f"http://testserver/s/{s.sid}/" in big and "1 joined" in big
    assert act(fac, s.sid, "back") == 409                              # the first inject
    for _step in range(1, len(drill.steps)):
        assert act(fac, s.sid, "next") == 303
        for q in s.questions():
            ben.post(f"/s/{s.sid}/answer", data={"q": q.id, "a": str(q.key) if q.scored else "A thought <b>"})
    assert act(fac, s.sid, "next") == 409
    assert act(fac, s.sid, "back") == 303 and s.step == len(drill.steps) - 2
    assert fac.post(f"/s/{s.sid}/f/end", data={"token": TOKEN}).headers["location"] == f"/s/{s.sid}/debrief"
    assert "The exercise has ended" in ben.get(f"/s/{s.sid}/").text
    debrief = fac.get(f"/s/{s.sid}/debrief")
    assert debrief.status_code == 200 and "Ben" in debrief.text and "A thought &lt;b&gt;" in debrief.text
    assert "unsafe-inline" in debrief.headers["content-security-policy"]
    # the session folder is an ordinary folder of answer sheets
    scored = CliRunner().invoke(main, ["exercise", "score", str(DRILL), str(tmp_path / s.sid)])
    assert scored.exit_code == 0, scored.output
    assert "Ben: 9/10" in scored.stdout and "not the engine's answer: q3" in scored.stdout  # q3 left unanswered
    assert read_sheet(tmp_path / s.sid / "answers-drill-ben.yaml", drill).finished is not None


def test_every_facilitator_route_needs_the_token_checked_on_the_server(drill, tmp_path):
    room, s, app = make(drill, tmp_path)
    stranger = participant(app, s.sid, "Mallory")
    before = (tmp_path / s.sid / STATE).read_text()
    for path in ("/f", f"/s/{s.sid}/f", f"/s/{s.sid}/f/live", f"/s/{s.sid}/f/status", f"/s/{s.sid}/f/qr", f"/s/{s.sid}/debrief",
                 "/f?token=wrong"):
        assert stranger.get(path).status_code == 403, path
    for action in ("lock", "unlock", "reveal", "next", "back", "end"):
        assert stranger.post(f"/s/{s.sid}/f/{action}", data={"token": "guess"}).status_code == 403
        assert stranger.post(f"/s/{s.sid}/f/{action}").status_code == 403
    assert stranger.post("/f/new", data={"token": "guess"}).status_code == 403
    # the facilitator's cookie alone does not make an action (another site cannot post one)
    fac = facilitator_client(app)
    assert fac.post(f"/s/{s.sid}/f/next").status_code == 403
    assert fac.post(f"/s/{s.sid}/f/next", data={"token": TOKEN + "x"}).status_code == 403
    assert (tmp_path / s.sid / STATE).read_text() == before and len(room.sessions) == 1
    assert fac.get(f"/s/{s.sid}/f/status").json()["participants"] == 1


def test_oversize_bodies_are_refused_with_413(drill, tmp_path):
    room, s, app = make(drill, tmp_path)
    amina = participant(app, s.sid, "Amina")
    big = "x" * 20_000
    assert amina.post(f"/s/{s.sid}/answer", data={"q": "q1", "a": big}).status_code == 413
    # a body without a declared length is counted as it is read
    chunks = (b"q=q1&a=" + b"y" * 4096 for _ in range(6))
    assert amina.post(f"/s/{s.sid}/answer", content=chunks).status_code == 413
    assert amina.post(f"/s/{s.sid}/join", content=b"name=" + b"z" * 17_000).status_code == 413
    assert s.participants["p1"].answers == {} and len(s.participants) == 1


def test_joins_are_rate_limited_per_address(drill, tmp_path):
    room, s, app = make(drill, tmp_path, join_limit=3)
    client = TestClient(app, follow_redirects=False)
    codes = [client.post(f"/s/{s.sid}/join", data={"name": f"N{i}"}).status_code for i in range(5)]
    assert codes == [303, 303, 303, 429, 429] and len(s.participants) == 3
    clock = [0.0]
    limiter = JoinLimiter(2, 60, clock=lambda: clock[0])
    assert [limiter.allow("a"), limiter.allow("a"), limiter.allow("a"), limiter.allow("b")] == [True, True, False, True]
    clock[0] = 61
    assert limiter.allow("a")


def test_everything_participants_type_is_escaped(drill, tmp_path):
    room, s, app = make(drill, tmp_path)
    evil = participant(app, s.sid, '<img src=x onerror=alert(1)>\u202e"')
    page = evil.get(f"/s/{s.sid}/").text
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page and "\u202e" not in page
    fac = facilitator_client(app)
    act(fac, s.sid, "end")
    assert "<img src=x" not in fac.get(f"/s/{s.sid}/debrief").text
    csp = fac.get(f"/s/{s.sid}/f").headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe" not in csp


def test_restart_resumes_sessions_from_the_folder_with_nothing_lost(drill, tmp_path):
    room, s, app = make(drill, tmp_path)
    fac = facilitator_client(app)
    cara = participant(app, s.sid, "Cara")
    cara.post(f"/s/{s.sid}/answer", data={"q": "q1", "a": "recommend"})
    act(fac, s.sid, "lock")
    act(fac, s.sid, "next")
    cara.post(f"/s/{s.sid}/answer", data={"q": "q4", "a": "consider"})
    cookies = dict(cara.cookies)
    # a new server on the same folder: same session, answers, position; Cara's browser still works
    room2, s2, app2 = make(drill, tmp_path)
    assert s2.sid == s.sid and s2.step == 1 and s2.locked == {0}
    assert s2.participants["p1"].answers["q1"][0] == "recommend" and s2.participants["p1"].answers["q4"][0] == "consider"
    again = TestClient(app2, follow_redirects=False, cookies=cookies)
    again.post(f"/s/{s.sid}/answer", data={"q": "q5", "a": "IFRC"})
    assert read_sheet(tmp_path / s.sid / "answers-drill-cara.yaml", drill, partial=True).answers == {
        "q1": "recommend", "q4": "consider", "q5": "IFRC"}


def test_several_sessions_at_once_each_with_its_own_folder(drill, tmp_path):
    room, s, app = make(drill, tmp_path)
    fac = facilitator_client(app)
    response = fac.post("/f/new", data={"token": TOKEN})
    other = response.headers["location"].split("/")[2]
    assert other != s.sid and set(room.sessions) == {s.sid, other}
    a, b = participant(app, s.sid, "Dev"), participant(app, other, "Dev")
    a.post(f"/s/{s.sid}/answer", data={"q": "q1", "a": "consider"})
    act(fac, other, "next")
    assert room.sessions[other].step == 1 and s.step == 0
    assert [p.answers for p in room.sessions[other].participants.values()] == [{}]
    # a participant's cookie belongs to its session only
    assert b.get(f"/s/{s.sid}/").text.count("Your name") == 1
    listing = fac.get("/f").text
    assert s.sid in listing and other in listing
    assert TestClient(app).get("/s/nosuch/").status_code == 404


def test_anonymous_debrief_and_sheets_with_the_users_umask(drill, tmp_path):
    old = os.umask(0o027)
    try:
        room, s, app = make(drill, tmp_path, anonymous=True)
        fac = facilitator_client(app)
        participant(app, s.sid, "Eva Secret").post(f"/s/{s.sid}/answer", data={"q": "q1", "a": "consider"})
    finally:
        os.umask(old)
    sheet = tmp_path / s.sid / "answers-drill-eva-secret.yaml"
    assert (sheet.stat().st_mode & 0o777) == 0o640
    act(fac, s.sid, "end")
    text = fac.get(f"/s/{s.sid}/debrief").text
    assert "Eva Secret" not in text and "Participant 1" in text


def test_state_errors_are_located(drill, tmp_path):
    room = Room(drill, tmp_path)
    s = room.new()
    with pytest.raises(RoomError):
        s.act("dance")
    p, _ = s.join("Finn")
    with pytest.raises(RoomError, match="not one of the options"):
        s.answer(p, "q1", "maybe")
    (tmp_path / s.sid / STATE).write_text("{not json")
    with pytest.raises(ScaleupError, match="cannot read the session's state"):
        Room(drill, tmp_path)
    (tmp_path / s.sid / STATE).write_text('{"exercise": "other", "step": 0, "locked": [], "revealed": [], '
                                          '"ended": false, "created": "x", "participants": []}')
    with pytest.raises(ScaleupError, match="this session is of exercise 'other'"):
        Session.load(drill, tmp_path / s.sid)


def test_the_serve_command_prints_the_join_url_qr_and_token(drill, tmp_path, monkeypatch):
    started = {}
    monkeypatch.setattr("uvicorn.run", lambda app, **kw: started.update(kw))
    monkeypatch.setattr(serve_module, "lan_address", lambda: "192.168.1.20")
    result = CliRunner().invoke(main, ["exercise", "serve", str(DRILL), "--dir", str(tmp_path / "r"), "--port", "8123",
                                       "--host", "0.0.0.0"])
    assert result.exit_code == 0, result.output
    sid = next(p.name for p in (tmp_path / "r").iterdir() if p.is_dir())
    token = (tmp_path / "r" / "room.token").read_text().strip()
    assert f"Participants join at: http://192.168.1.20:8123/s/{sid}/" in result.output
    assert f"http://192.168.1.20:8123/f?token={token}&next=/s/{sid}/f" in result.output
    assert "█" in result.output and started["host"] == "0.0.0.0" and started["port"] == 8123
    assert (tmp_path / "r" / "room.token").stat().st_mode & 0o777 == 0o600
    # served again: the same session and token; on localhost the firewall hint is printed
    again = CliRunner().invoke(main, ["exercise", "serve", str(DRILL), "--dir", str(tmp_path / "r")])
    assert f"/s/{sid}/" in again.output and token in again.output and "--host 0.0.0.0" in again.output


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_tab_closed_mid_answer_writes_nothing_and_the_server_carries_on(drill, tmp_path):
    import httpx2 as httpx
    import uvicorn
    room, s, app = make(drill, tmp_path)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(100):
            if server.started:
                break
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, follow_redirects=False) as gina:
            assert gina.post(f"/s/{s.sid}/join", data={"name": "Gina"}).status_code == 303
            cookie = "; ".join(f"{k}={v}" for k, v in gina.cookies.items())
            with socket.create_connection(("127.0.0.1", port)) as raw:
                raw.sendall((f"POST /s/{s.sid}/answer HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\n"
                             "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 200\r\n\r\nq=q1&a=reco").encode())
            with socket.create_connection(("127.0.0.1", port)) as raw:     # and a join cut short
                raw.sendall((f"POST /s/{s.sid}/join HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\nname=Hal").encode())
            time.sleep(0.2)
            assert len(s.participants) == 1
            assert gina.post(f"/s/{s.sid}/answer", data={"q": "q2", "a": "2"}).status_code == 303
        assert read_sheet(tmp_path / s.sid / "answers-drill-gina.yaml", drill, partial=True).answers == {"q2": "2"}
    finally:
        server.should_exit = True
        thread.join(5)


def test_the_reveal_shows_no_folder_of_the_facilitators_disk(drill, tmp_path):
    room, s, app = make(drill, tmp_path)
    fac = facilitator_client(app)
    joe = participant(app, s.sid, "Joe")
    act(fac, s.sid, "reveal")
    page = joe.get(f"/s/{s.sid}/").text
    assert "drill.yaml:14" in page and str(DRILL.parent) not in page
    assert not any(line.rstrip().endswith(":</li>") for line in page.splitlines())   # nothing cut mid-sentence


def test_figures_are_phrased_for_people_on_the_phone_and_the_projector(tmp_path):
    from scaleup.exercise.load import load_exercise
    cyclone = load_exercise(ROOT / "scenarios" / "exercises" / "cyclone-idp-surge.yaml")
    room, s, app = make(cyclone, tmp_path)
    fac = facilitator_client(app)
    kim = participant(app, s.sid, "Kim")
    first = kim.get(f"/s/{s.sid}/").text
    assert "<th>populations · in need</th><td>80,000</td>" in first and "several districts" in first
    for _ in range(len(cyclone.steps) - 1):
        act(fac, s.sid, "next")
    last = kim.get(f"/s/{s.sid}/").text + fac.get(f"/s/{s.sid}/f").text
    assert "<th>activation · extensions</th><td>date 2026-08-15, months 6</td>" in last
    assert "datetime" not in last and "{&#39;" not in last


def test_the_room_limits_are_the_documented_ones():
    # docs/limits.md quotes these numbers; change both together.
    import inspect

    from scaleup.room import app as app_module
    from scaleup.room import state
    assert (app_module.MAX_BODY, state.MAX_PARTICIPANTS, state.MAX_NAME, state.MAX_TEXT) == (16 * 1024, 500, 60, 2000)
    assert inspect.signature(create_app).parameters["join_limit"].default == 20
    text = (ROOT / "docs" / "limits.md").read_text(encoding="utf-8")
    for figure in ("16 KiB", "20 a minute", "| 500 |", "60 characters", "2,000 characters"):
        assert figure in text, figure
