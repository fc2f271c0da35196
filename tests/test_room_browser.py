"""The room end to end in a real browser: ``scaleup exercise serve`` as a process, headless
Chromium (Debian's ``chromium``) driven by Playwright with one facilitator page (projector size)
and five participant pages (phone size) at once: join (named and anonymous), answer, change,
lock, reveal, next, a server killed and restarted mid-exercise, end, debrief. The sheets on disk
must equal what was clicked, and no page may log an error or a blocked load.

Install the browser with ``apt-get update && apt-get install -y chromium``.
``pytest tests/test_room_browser.py --update-golden`` also refreshes docs/room-projector.png
and docs/room-phone.png.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scaleup.exercise.score import read_sheet

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed "
                                "(apt-get update && apt-get install -y chromium)")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')")

ROOT = Path(__file__).resolve().parent.parent
DRILL = ROOT / "tests" / "fixtures" / "exercises" / "drill.yaml"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic", "--hide-scrollbars"]
PHONE = {"width": 390, "height": 844}
PROJECTOR = {"width": 1280, "height": 720}
NAMES = ["Amina", "Ben", "Chloé", "Dev", None]          # None joins anonymously


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """``scaleup exercise serve`` in a child process (killed with SIGKILL, as a crash would)."""

    def __init__(self, folder: Path):
        self.folder, self.port = folder, free_port()
        self.proc: subprocess.Popen[str] | None = None
        self.lines: list[str] = []

    def start(self) -> None:
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        self.proc = subprocess.Popen([sys.executable, "-m", "scaleup", "exercise", "serve", str(DRILL), "--port",
                                      str(self.port), "--dir", str(self.folder)], stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, env=env, cwd=str(self.folder.parent))
        assert self.proc.stdout is not None
        self.lines = []
        for line in self.proc.stdout:
            self.lines.append(line)
            if line.startswith("Stop with Ctrl+C"):
                break
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("server did not start: " + "".join(self.lines))

    def url(self, prefix: str) -> str:
        line = next(x for x in self.lines if x.startswith(prefix))
        return line.split(": ", 1)[1].strip()

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(5)
        if self.proc is not None and self.proc.stdout is not None:
            self.proc.stdout.close()


@pytest.fixture
def server(tmp_path):
    srv = Server(tmp_path / "room")
    srv.start()
    yield srv
    srv.kill()


def tap(page, qid: str, number: int) -> None:
    page.locator(f"#{qid} button.option").nth(number - 1).click()
    page.wait_for_selector(f"#{qid} button.option.chosen >> nth=0")
    assert page.locator(f"#{qid} button.option").nth(number - 1).get_attribute("aria-pressed") == "true"


def sheets(folder: Path, drill) -> dict[str, dict[str, str]]:
    out = {}
    for path in folder.glob("*/answers-*.yaml"):
        sheet = read_sheet(path, drill, partial=True)
        assert sheet.problems == [], sheet.problems
        out[sheet.participant] = {**sheet.answers, **sheet.reflections}
    return out


def test_a_room_of_five_phones_and_a_projector(server, drill, request, tmp_path):
    join_url, fac_url = server.url("Participants join at"), server.url("Facilitator")
    option = {q.id: {c.value: n for n, c in enumerate(q.options, 1)} for q in drill.questions}
    errors: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            def watch(page):
                page.on("console", lambda m: errors.append(f"{page.url}: {m.text}") if m.type == "error" else None)
                page.on("pageerror", lambda e: errors.append(f"{page.url}: {e}"))
                return page

            fac = watch(browser.new_context(viewport=PROJECTOR).new_page())
            fac.goto(fac_url)
            assert re.search(r"/s/[a-z0-9]+/f$", fac.url)
            phones = [watch(browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()) for _ in NAMES]
            for page, name in zip(phones, NAMES):
                page.goto(join_url)
                if name:
                    page.fill("#name", name)
                    page.click("text=Join")
                else:
                    page.click("text=Join without a name")
                page.wait_for_selector("#q1")

            # inject 1: everyone answers; Amina changes her mind
            clicked: dict[str, dict[str, str]] = {}
            picks = [("consider", "2", "national_led"), ("recommend", "3", "iasc_clusters"),
                     ("consider", "2", "national_led"), ("not_recommended", "1", "national_led"),
                     ("consider", "3", "refugee_rcm")]
            for page, name, pick in zip(phones, NAMES, picks):
                who = name or "Anonymous 5"
                for qid, value in zip(("q1", "q2", "q3"), pick):
                    tap(page, qid, option[qid][value])
                clicked[who] = dict(zip(("q1", "q2", "q3"), pick))
            tap(phones[0], "q1", option["q1"]["recommend"])
            clicked["Amina"]["q1"] = "recommend"
            fac.wait_for_selector("#live .count >> text=5 of 5 participants", timeout=20000)
            assert sheets(server.folder, drill) == clicked

            fac.click("text=Lock answers")
            phones[1].wait_for_selector("text=Answers are locked", timeout=20000)
            assert phones[1].locator("#q1 button.option").first.is_disabled()
            fac.click("button:has-text('Reveal')")
            for page in phones:
                page.wait_for_selector("#q1 .why >> text=Engine's answer", timeout=20000)
            assert "matches the engine" in phones[2].inner_text("#q1")
            fac.wait_for_selector(".reveals .reveal")
            if request.config.getoption("--update-golden"):
                fac.screenshot(path=str(ROOT / "docs" / "room-projector.png"))
                phones[0].evaluate("window.scrollTo(0, document.getElementById('q1').offsetTop - 8)")
                phones[0].screenshot(path=str(ROOT / "docs" / "room-phone-reveal.png"))

            # inject 2; the server is killed after some answers and restarted
            fac.click("text=Next ▶")
            for page in phones:
                page.wait_for_selector("text=Inject 2 of 3", timeout=20000)
            if request.config.getoption("--update-golden"):
                phones[1].evaluate("window.scrollTo(0, 0)")
                phones[1].screenshot(path=str(ROOT / "docs" / "room-phone.png"))
            for page, who in zip(phones, clicked):
                tap(page, "q4", option["q4"]["recommend"])
                clicked[who]["q4"] = "recommend"
            server.kill()
            server.start()
            for page, who in zip(phones, clicked):
                page.reload()
                tap(page, "q5", option["q5"]["IFRC"])
                clicked[who]["q5"] = "IFRC"
            phones[3].fill("#q8 textarea", "Call the RC <now>")
            phones[3].click("#q8 >> text=Save")
            phones[3].wait_for_selector("#q8 >> text=Saved.")
            clicked["Dev"]["q8"] = "Call the RC <now>"
            assert sheets(server.folder, drill) == clicked
            fac.reload()                                     # the facilitator's cookie still works
            fac.wait_for_selector("#t-q5 >> text=(5 answers)", timeout=20000)

            fac.click("text=Next ▶")
            phones[4].wait_for_selector("text=Inject 3 of 3", timeout=20000)
            fac.click("text=End exercise")
            fac.wait_for_selector("h1 >> text=Debrief")
            debrief = fac.content()
            assert all(name in debrief for name in clicked) and "Call the RC &lt;now&gt;" in debrief
            for page in phones:
                page.wait_for_selector("text=The exercise has ended", timeout=20000)
            assert sheets(server.folder, drill) == clicked
        finally:
            browser.close()
    # the pages poll while the server is down: those failed fetches are expected
    assert [e for e in errors if "ERR_CONNECTION_REFUSED" not in e] == []
