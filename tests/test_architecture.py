"""The shape of the code (issue 13): imports flow one way through the layers of docs/architecture.md,
no module imports another in a cycle, imports inside functions say why, and no module grows past
~300 lines without a reason in its docstring.

The import graph is read from the source (every ``import`` and ``from ... import``, at any depth,
``TYPE_CHECKING`` blocks included), so a lazy import cannot hide a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "scaleup"

# Lowest first. A module may import modules of its own layer or lower ones, never a higher one.
# The package facade (scaleup/__init__.py) sits above the library and below the CLI.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("core", ("scaleup.version", "scaleup.errors", "scaleup.safetext", "scaleup.paths", "scaleup.vocabulary",
              "scaleup.facts", "scaleup.display", "scaleup.writeout", "scaleup.xlsx")),
    ("scenario", ("scaleup.scenario",)),
    ("rules", ("scaleup.rules", "scaleup.words")),
    ("engine", ("scaleup.engine",)),
    ("recommendation", ("scaleup.recommendation",)),
    ("explain", ("scaleup.explain",)),
    ("render", ("scaleup.render",)),
    ("capabilities", ("scaleup.batch", "scaleup.exercise", "scaleup.assurance", "scaleup.uncertainty",
                      "scaleup.room", "scaleup.schemas", "scaleup.docs_gen", "scaleup.api_doc", "scaleup.compare")),
    ("facade", ("scaleup", "scaleup.api", "scaleup.frames")),
    ("cli", ("scaleup.cli", "scaleup.__main__")),
]
# The one import that goes up, with its reason: notebooks call a recommendation's _repr_html_,
# so the output model hands itself to the render layer's card, imported when a notebook asks.
UPWARD_ALLOWED = {("scaleup.recommendation.model", "scaleup.render.card")}
MAX_LINES = 300
LONG_REASON = "Longer than 300 lines"   # the docstring phrase that explains a long module


def _modules() -> dict[str, tuple[Path, bool]]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        out[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return out


MODULES = _modules()


def _imports(name: str) -> dict[str, list[tuple[int, bool]]]:
    """Modules of scaleup that ``name`` imports -> [(line, inside a function)]."""
    path, is_package = MODULES[name]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            inside.update(id(n) for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom)))
    here = name.split(".") if is_package else name.split(".")[:-1]
    found: dict[str, list[tuple[int, bool]]] = {}
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.ImportFrom):
            base = ".".join(here[: len(here) - node.level + 1] + ([node.module] if node.module else [])) \
                if node.level else (node.module or "")
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        elif isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        for target in targets:
            if target in MODULES and target != name:
                found.setdefault(target, []).append((node.lineno, id(node) in inside))
    return found


GRAPH = {name: {target: sites for target, sites in _imports(name).items() if (name, target) not in UPWARD_ALLOWED}
         for name in MODULES}


def layer_of(name: str) -> int:
    """The index of the most specific layer entry that ``name`` falls under."""
    best, length = -1, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            covers = name == prefix or (prefix != "scaleup" and name.startswith(prefix + "."))
            if covers and len(prefix) > length:
                best, length = index, len(prefix)
    return best


def test_every_module_has_a_layer() -> None:
    missing = sorted(name for name in MODULES if layer_of(name) < 0)
    assert not missing, f"add these modules to a layer in tests/test_architecture.py and docs/architecture.md: {missing}"


def test_imports_only_go_down_the_layers() -> None:
    upward = []
    for name, targets in GRAPH.items():
        for target, sites in targets.items():
            if target == "scaleup" and name != "scaleup":
                upward.append(f"{name}:{sites[0][0]} imports the package facade (import the module instead)")
            elif layer_of(target) > layer_of(name):
                upward.append(f"{name}:{sites[0][0]} ({LAYERS[layer_of(name)][0]}) imports {target} "
                              f"({LAYERS[layer_of(target)][0]})")
    assert not upward, "imports that go up the layers:\n" + "\n".join(sorted(upward))


def _cycles() -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycle() -> None:
    assert not _cycles(), f"import cycles: {_cycles()}"


def test_the_checks_catch_a_cycle_and_an_upward_import(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(GRAPH, "scaleup.facts", {**GRAPH["scaleup.facts"], "scaleup.rules.ir": [(1, False)]})
    assert any("scaleup.facts" in c for c in _cycles())
    with pytest.raises(AssertionError, match="scaleup.facts:1 .core. imports scaleup.rules.ir .rules."):
        test_imports_only_go_down_the_layers()


def test_imports_inside_functions_outside_the_cli_say_why() -> None:
    """The CLI imports its commands' machinery on use (start-up: `scaleup --help` imports none of
    the engine, the batch pool or Jinja2; measured in docs/architecture.md); anywhere else an
    import inside a function needs a comment on its line saying why."""
    silent = []
    for name, targets in GRAPH.items():
        if name.startswith("scaleup.cli"):
            continue
        lines = MODULES[name][0].read_text(encoding="utf-8").splitlines()
        silent += [f"{name}:{line}" for sites in targets.values() for line, nested in sites
                   if nested and "#" not in lines[line - 1]]
    assert not silent, f"imports inside functions without a reason: {sorted(silent)}"


def test_no_module_over_300_lines_without_a_reason() -> None:
    long = []
    for path, _ in MODULES.values():
        text = path.read_text(encoding="utf-8")
        doc = ast.get_docstring(ast.parse(text)) or ""
        if len(text.splitlines()) > MAX_LINES and LONG_REASON not in doc:
            long.append(f"{path.relative_to(ROOT)} ({len(text.splitlines())} lines)")
    assert not long, f"modules over {MAX_LINES} lines whose docstring does not say why ({LONG_REASON}...): {long}"
