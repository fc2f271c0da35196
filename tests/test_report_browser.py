"""The HTML reports in a real browser: headless Chromium (Debian package ``chromium``) renders
every shipped scenario's report and explanation reports without a console error or a blocked
load, with the decision, the chart and the derivation tree present and visible, and takes a
screenshot of each.

Install the browser with ``apt-get update && apt-get install -y chromium chromium-driver``.
``pytest tests/test_report_browser.py --update-golden`` also refreshes docs/report-evaluate.png
and docs/report-explain.png.
"""

from __future__ import annotations

import base64
import hashlib
import html as htmllib
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

from scaleup.recommendation.evaluate import evaluate
from scaleup.explain.derivation import explain
from scaleup.scenario.inputs import read_scenario
from scaleup.render import html
from scaleup.rules.load import load_ruleset
from scaleup.scenario.load import LoadedScenario, load_scenario

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "explain"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic", "--hide-scrollbars"]
# the historical set (scenarios/history) is checked by test_history; its flips and reports add
# minutes to the suite and nothing the shipped library does not already exercise
SHIPPED = [p for p in sorted((ROOT / "scenarios").rglob("*.yaml"))
           if "history" not in p.relative_to(ROOT).parts and isinstance(read_scenario(p), LoadedScenario)]

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed "
                                "(apt-get update && apt-get install -y chromium chromium-driver)")

# Runs in a test copy of the page only (the report itself has no script): records CSP
# violations and errors, then writes what it sees of the key elements into the DOM.
PROBE = """
(function () {
  var problems = [];
  document.addEventListener('securitypolicyviolation', function (e) { problems.push('blocked: ' + e.blockedURI + ' (' + e.violatedDirective + ')'); });
  window.addEventListener('error', function (e) { problems.push('error: ' + (e.message || e.target)); }, true);
  var log = console.error; console.error = function () { problems.push('console: ' + Array.prototype.join.call(arguments, ' ')); log.apply(console, arguments); };
  function seen(selector) {
    var all = document.querySelectorAll(selector), out = [];
    for (var i = 0; i < all.length; i++) {
      var r = all[i].getBoundingClientRect(), s = getComputedStyle(all[i]);
      out.push(r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none' && s.opacity !== '0');
    }
    return out;
  }
  window.addEventListener('load', function () {
    var out = {problems: problems, decision: seen('.decision .value'), chart: seen('svg.chart'), bars: seen('svg.chart .bar, svg.chart .nodata'),
               tree: seen('ul.derivation'), whynot: seen('section.whynot'), flips: seen('section.flips'), sources: seen('section.sources'),
               decisions: Array.prototype.map.call(document.querySelectorAll('.decision .value'), function (e) { return e.textContent; })};
    var pre = document.createElement('pre'); pre.id = 'scaleup-probe'; pre.textContent = JSON.stringify(out); document.body.appendChild(pre);
  });
})();
"""


def chromium(*args: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],  # type: ignore[list-item]
                              capture_output=True, text=True, timeout=120)


def probed(page: str) -> str:
    """The page with the probe as its first script, allowed by hash in the page's own CSP."""
    digest = base64.b64encode(hashlib.sha256(PROBE.encode()).digest()).decode()
    page = page.replace("default-src 'none';", f"default-src 'none'; script-src 'sha256-{digest}';", 1)
    return page.replace("<head>", f"<head>\n<script>{PROBE}</script>", 1)


def check(page: str, where: Path) -> dict[str, Any]:
    """Load the page in Chromium once: console lines, what the probe saw, and a screenshot."""
    where.write_text(probed(page), encoding="utf-8")
    png = where.with_suffix(".png")
    done = chromium("--enable-logging=stderr", "--v=0", "--window-size=1000,1400", f"--screenshot={png}",
                    "--dump-dom", where.as_uri())
    assert png.is_file() and png.stat().st_size > 20_000 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    found = re.search(r'<pre id="scaleup-probe">(.*?)</pre>', done.stdout, re.S)
    assert found, f"the probe did not run: {done.stderr[-2000:]}"
    result = json.loads(htmllib.unescape(found.group(1)))
    result["console"] = [line for line in done.stderr.splitlines() if "CONSOLE" in line]
    return result


def screenshot(page: str, html_path: Path, png: Path, size: str = "1000,1400") -> None:
    html_path.write_text(page, encoding="utf-8")
    done = chromium(f"--window-size={size}", f"--screenshot={png}", html_path.as_uri())
    assert png.is_file() and png.stat().st_size > 20_000, done.stderr[-2000:]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def assert_clean(result: dict[str, Any], explained: bool) -> None:
    assert result["console"] == [] and result["problems"] == []
    assert result["decision"] and all(result["decision"]), "the decision is visible"
    assert result["chart"] == [True] and len(result["bars"]) == 5 and all(result["bars"])
    assert result["tree"] and all(result["tree"]), "the derivation tree is visible"
    assert result["sources"] == [True]
    if explained:
        assert result["whynot"] and all(result["whynot"])


@pytest.fixture(scope="module")
def shipped():
    return load_ruleset("iasc-2018")


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_a_shipped_scenario_report_renders_cleanly_in_chromium(path: Path, shipped, tmp_path: Path) -> None:
    rec = evaluate(load_scenario(path, name=str(path.relative_to(ROOT))), shipped)
    page = html.render([rec])
    result = check(page, tmp_path / "probe.html")
    assert_clean(result, explained=False)
    assert result["decisions"] == [rec.scale_up.replace("_", " ")]


EXPLAINED = [(ROOT / "scenarios/cyclone-coastal.yaml", "iasc-2018"), (FIXTURES / "flood-consider.yaml", "iasc-2018"),
             (FIXTURES / "sparse-evidence.yaml", str(FIXTURES / "ruleset"))]


@pytest.mark.parametrize("path,ruleset", EXPLAINED, ids=[p.stem for p, _ in EXPLAINED])
def test_an_explanation_report_renders_cleanly_in_chromium(path: Path, ruleset: str, tmp_path: Path) -> None:
    exp = explain(load_scenario(path, name=str(path.relative_to(ROOT))), load_ruleset(ruleset), flips=True, flip_budget=200)
    page = html.render_explanation(exp)
    result = check(page, tmp_path / "probe.html")
    assert_clean(result, explained=True)
    assert result["flips"] == [True]


def test_the_screenshots_in_the_docs_can_be_refreshed(request: pytest.FixtureRequest, shipped, tmp_path: Path) -> None:
    """docs/report-*.png: refreshed with --update-golden; otherwise only checked to exist."""
    docs = ROOT / "docs"
    if request.config.getoption("--update-golden"):
        cyclone = ROOT / "scenarios/cyclone-coastal.yaml"
        rec = evaluate(load_scenario(cyclone, name="scenarios/cyclone-coastal.yaml"), shipped)
        screenshot(html.render([rec]), tmp_path / "evaluate.html", docs / "report-evaluate.png")
        flood = FIXTURES / "flood-consider.yaml"
        exp = explain(load_scenario(flood, name="tests/fixtures/explain/flood-consider.yaml"), shipped, depth=1,
                      targets=["recommend"], flips=True)
        screenshot(html.render_explanation(exp), tmp_path / "explain.html", docs / "report-explain.png", "1000,2600")
    for name in ("report-evaluate.png", "report-explain.png"):
        assert (docs / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
