"""The decision map in a real browser: headless Chromium (Debian package ``chromium``) renders it
without console errors, with both maps, their cells and the band edges in the DOM, and the
decision colours visible in a screenshot.

Install the browser with ``apt-get update && apt-get install -y chromium chromium-driver``.
"""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path

import pytest

from scaleup.batch.decision_map import DECISIONS, render
from scaleup.rules.load import load_ruleset
from scaleup.batch.sweep import parse_vary, run_sweep
from scaleup.scenario.yamlio import load_document

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "scenarios" / "cyclone-coastal.yaml"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic", "--hide-scrollbars"]

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed "
                                "(apt-get update && apt-get install -y chromium chromium-driver)")


def chromium(*args: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],  # type: ignore[list-item]
                              capture_output=True, text=True, timeout=120)


def console_errors(page: Path) -> list[str]:
    done = chromium("--enable-logging=stderr", "--v=0", "--dump-dom", page.as_uri())
    return [line for line in done.stderr.splitlines() if "CONSOLE" in line]


def png_pixels(path: Path) -> tuple[int, int, set[tuple[int, int, int]]]:
    """Width, height and the set of RGB colours of an 8-bit, non-interlaced RGB(A) PNG."""
    blob = path.read_bytes()
    assert blob[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", b""
    while pos < len(blob):
        length, kind = struct.unpack(">I4s", blob[pos:pos + 8])
        body = blob[pos + 8:pos + 8 + length]
        header = body if kind == b"IHDR" else header
        idat += body if kind == b"IDAT" else b""
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0
    step = 4 if colour == 6 else 3
    raw, stride = zlib.decompress(idat), width * step
    previous, colours = bytearray(stride), set()
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - step] if i >= step else 0
            up, corner = previous[i], previous[i - step] if i >= step else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        colours.update(tuple(line[i:i + 3]) for i in range(0, stride, step * 3))
        previous = line
    return width, height, colours


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> tuple[Path, set[str], int]:
    folder = tmp_path_factory.mktemp("map")
    data = json.loads(json.dumps(load_document(BASE).data, default=str))
    data["title"] = "Cyclone <b>&</b> \"floods\""
    scenario = folder / "scenario.json"
    scenario.write_text(json.dumps(data), encoding="utf-8")
    result = run_sweep(scenario, [parse_vary("capacity.inform_lcc=0:10:1"), parse_vary("capacity.funding_coverage_pct=0:100:10")],
                       load_ruleset("iasc-2018"), workers=1)
    html = folder / "map.html"
    html.write_text(render(result), encoding="utf-8")
    decisions = {d for d in result.counts if d in DECISIONS}
    return html, decisions, result.points


def test_the_map_renders_without_console_errors(page):
    assert console_errors(page[0]) == []


def test_the_console_check_does_catch_a_broken_svg(tmp_path):
    broken = tmp_path / "broken.html"
    broken.write_text('<!DOCTYPE html><svg><rect width="NaN" height="1"/></svg>', encoding="utf-8")
    assert console_errors(broken), "a broken SVG attribute must show up as a console error"


def test_the_dom_holds_both_maps_every_cell_the_edges_and_the_escaped_title(page):
    html, _, points = page
    dom = chromium("--dump-dom", html.as_uri()).stdout
    assert dom.count('<svg class="map"') == 2 and dom.count('class="cell"') == 2 * points
    assert 'id="edges"' in dom and dom.count('class="edge"') >= 2 and 'id="stamp"' in dom
    assert "Cyclone &lt;b&gt;&amp;&lt;/b&gt;" in dom and "<b>&amp;</b>" not in dom


def test_the_screenshot_shows_the_decision_colours(page, tmp_path):
    html, decisions, _ = page
    shot = tmp_path / "map.png"
    done = chromium(f"--screenshot={shot}", "--window-size=1200,900", html.as_uri())
    assert shot.exists(), done.stderr
    width, height, colours = png_pixels(shot)
    assert (width, height) == (1200, 900)
    wanted = {tuple(int(DECISIONS[d][1][i:i + 2], 16) for i in (1, 3, 5)) for d in decisions}
    assert wanted <= colours, f"decision colours missing from the screenshot: {wanted - colours}"
