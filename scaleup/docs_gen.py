"""Generate ``docs/scenario.md``, the catalogue of scenario fields, from the code that defines them.

The tables come from :class:`~scaleup.scenario.model.Scenario` and :data:`~scaleup.scenario.fields.CATALOGUE`
(name, type, unit, range, meaning, the formula of derived indicators); the criterion each field
feeds is read from the band rules of the compiled default rule set. Regenerate after changing the
models or the scoring tables::

    python -m scaleup.docs_gen            # rewrite docs/scenario.md
    python -m scaleup.docs_gen --check    # exit 1 if docs/scenario.md is out of date
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any, Literal, Optional, Sequence, get_args, get_origin

from pydantic import BaseModel

from .vocabulary import CRITERIA
from .scenario.fields import CATALOGUE, CONTEXT_ONLY, DERIVED, NOT_INDICATORS, FieldInfo
from .rules.ir import CompiledRuleset, RuleKind
from .rules.load import load_ruleset
from .scenario.model import Expect, Scenario
from .scenario.validation import unwrap
from .writeout import write_atomic

DOC_PATH = Path(__file__).resolve().parent.parent / "docs" / "scenario.md"
REGENERATE = "python -m scaleup.docs_gen"

# The checks of scaleup.scenario.model.cross_field_problems, in words (kept next to the generator so
# that a reader of the docs sees them; the code is the authority).
CONSISTENCY = (
    "`populations.affected` and `impact.deaths` are at most `country.population`",
    "`populations.in_need`, `idps`, `refugees` and `non_displaced_affected` are at most "
    "`populations.affected`; `capacity.people_reached` too",
    "`populations.idps_new_30d` is at most `populations.idps`; `refugees_new_30d` at most "
    "`populations.refugees`; `impact.deaths_30d` at most `impact.deaths`",
    "`food_security.ipc_phase4plus_pct` is at most `ipc_phase3plus_pct`; "
    "`health_nutrition.sam_pct` at most `gam_pct`; `ipc_phase5_population` at most the population",
    "`hazard.started`, `activation.date` and every extension date are not after `as_of`; "
    "no extension is dated before the activation",
    "plausibility: `impact.houses_destroyed` is at most `populations.affected` (one house per affected "
    "person; without `affected`, at most `country.population`); `impact.deaths` at most "
    "`populations.affected`; `populations.in_need`, `targeted`, `idps` and "
    "`food_security.ipc_phase3plus_population` at most `country.population` (when it is given)",
    "every date (`as_of`, `hazard.started`, `activation.date`, extension dates, "
    "`capacity.flash_appeal_date`, dates in `expect:`) is between 1900-01-01 and 2100-12-31, so "
    "milestone dates can always be computed",
    "`hazard.types` lists each hazard once; `context.countries_affected` is at least 1; "
    "`health_nutrition.cmr_baseline`, when given and not 0, is at least 0.0001",
    "an `outbreak:` section is given exactly when `hazard.types` includes `epidemic`",
)

YAML_RULES = (
    ("`iso3: NO`, `answer: yes`, `on`, `off`", "text (YAML 1.2); a true/false field given `yes` "
     "is an error that says to write `true`"),
    ("`true`, `false`", "true/false"),
    ("`1e6`, `2.5e5`", "numbers; a count accepts `1e6` as 1000000 (a fraction in a count is an error)"),
    ("`1_000`, `010`", "1000 and 10 (no octal surprise)"),
    ("`2026-03-20`", "a date; write dates as YYYY-MM-DD"),
    ("`\"2026-03-20\"`", "a date as well: JSON has no date type, so a date field accepts YYYY-MM-DD "
     "text in quotes (a quoted number is refused because the engine would compare it as text; a "
     "quoted date can only be read one way)"),
    ("`\"250,000\"`, `'12'`", "text, so an error where a number belongs"),
    ("`.nan`, `.inf`", "refused"),
    ("a key given twice, `&anchor`/`*alias`, `<<` merge keys, `!!python/...` tags", "refused, located"),
)


def criteria_by_field(ruleset: CompiledRuleset) -> dict[str, list[str]]:
    """Scenario field -> criteria its scoring bands feed, in the usual criterion order."""
    found: dict[str, set[str]] = {}
    for rule in ruleset.rules:
        if rule.kind != RuleKind.BAND:
            continue
        for emit in rule.emits:
            fields = dict(emit.fields)
            if emit.type == "signal" and isinstance(fields.get("field"), str):
                found.setdefault(str(fields["field"]), set()).add(str(fields["criterion"]))
    return {f: [c for c in CRITERIA if c in cs] for f, cs in found.items()}


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _number(value: Optional[float]) -> str:
    if value is None:
        return ""
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"


def _type(info: FieldInfo) -> str:
    kind = {"int": "whole number", "num": "number", "bool": "true/false", "text": "text"}.get(info.kind)
    if kind is None:
        kind = "one of: " + ", ".join(f"`{v}`" for v in info.values)
    return f"list; each {kind}" if info.multi else kind


def _range(info: FieldInfo) -> str:
    if info.kind not in ("int", "num") or (info.ge is None and info.le is None):
        return ""
    if info.le is None:
        return f">= {_number(info.ge)}"
    return f"{_number(info.ge)} to {_number(info.le)}"


def _identity_rows(model: type[BaseModel], prefix: str = "") -> list[tuple[str, str, str]]:
    """(path, type, meaning) of the fields that identify a scenario rather than describe a crisis."""
    rows: list[tuple[str, str, str]] = []
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        ann = unwrap(info.annotation)
        if path == "expect":
            rows.append((path, "mapping", "Expected results; makes the file a test case (below)"))
            continue
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            rows.extend(_identity_rows(ann, path + "."))
            continue
        if path not in NOT_INDICATORS:
            continue
        if path == "activation.extensions":
            rows.append((path, "list of {date, months}", "Extensions granted: the date decided and "
                         "the length in months (more than 0, at most 60); at most 10"))
            continue
        kind = "date" if ann is dt.date else "text"
        if get_origin(ann) is Literal:
            kind = " or ".join(f"`{v}`" for v in get_args(ann))
        required = " (required)" if info.is_required() else ""
        meaning = info.description or ("`scenario` (the default); files of another kind, such as "
                                       "`exercise`, are skipped by commands that take scenarios"
                                       if path == "kind" else "")
        rows.append((path, kind + required, meaning))
    return rows


def _expect_rows() -> list[tuple[str, str]]:
    rows = []
    for name, info in Expect.model_fields.items():
        ann = unwrap(info.annotation)
        if get_origin(ann) is Literal:
            kind = "one of: " + ", ".join(f"`{v}`" for v in get_args(ann))
        elif get_origin(ann) is dict:
            kind = "mapping"
        elif get_origin(ann) is list:
            kind = "list"
        else:
            kind = {bool: "true/false", int: "whole number"}.get(ann, "text")
        rows.append((name, kind))
    return rows


UNCERTAIN = (
    "Any numeric indicator may be a range or a distribution instead of a number:\n"
    "`in_need: {low: 200000, high: 400000}` (uniform), `{low: L, mode: M, high: H}` (triangular), or\n"
    "`{values: [...], weights: [...]}` (discrete; equal weights when `weights` is left out). Bad ranges\n"
    "are located errors (low not below high, mode outside low..high, one weight per value, weights\n"
    ">= 0, values within the field's range). A plain `evaluate` (and batch, explain, report) scores\n"
    "each range's *point estimate* (triangular: the mode; uniform: the midpoint; discrete: the most\n"
    "heavily weighted value) and says so in a caveat; `scaleup evaluate FILE --samples N` gives the\n"
    "probability of each decision. See [uncertainty.md](uncertainty.md).")


def render(ruleset: Optional[CompiledRuleset] = None) -> str:
    """The whole of ``docs/scenario.md`` (the default rule set is loaded when none is given)."""
    ruleset = ruleset or load_ruleset()
    feeds = criteria_by_field(ruleset)
    out: list[str] = []
    add = out.append
    add("# Scenario files")
    add("")
    add(f"<!-- Generated by `{REGENERATE}` from scaleup/scenario/model.py, scaleup/scenario/fields.py and the "
        f"scoring tables of rule set {ruleset.id} {ruleset.version}. Do not edit by hand. -->")
    add("")
    add("A scenario file describes one crisis at one date, in YAML or JSON (same structure; `.json` "
        "files are read as JSON). `scaleup scenario template` prints a commented starter file, "
        "`scaleup validate FILE` checks one, and `scaleup schema scenario` prints the JSON Schema.")
    add("")
    add("**Required**: `id`, `title`, `as_of`, `country.name`, `hazard.types` and `hazard.onset`. The "
        "rules cannot do without the last two: who is affected by what decides the route and the "
        "cluster leads, and the onset decides whether the protocol applies at all. Everything else, "
        "`country.population` included, is optional (without the population no share of it is "
        "scored, only absolute numbers).")
    add("")
    add("Every indicator is optional: leave out what you do not know. A criterion with no "
        "indicator at all is reported as *insufficient evidence*, never as level 1; a capacity gap "
        "with no capacity measure is *presumed* from the demand and marked so. Numbers are "
        "strict: a number written as text (`\"250000\"`, `250,000`) or a true/false where a "
        "number belongs is an error, never silently converted. Unknown keys are errors with a "
        "\"did you mean\" hint. Every problem of a file is reported at once as "
        "`file:line: field.path: message (hint)`, and nothing is evaluated until the file is valid.")
    add("")
    add("## How values are read")
    add("")
    add("| you write | it is read as |")
    add("|---|---|")
    out.extend(f"| {a} | {b} |" for a, b in YAML_RULES)
    add("")
    add("## Consistency checks")
    add("")
    out.extend(f"- {c}" for c in CONSISTENCY)
    add("")
    add("## Uncertain figures")
    add("")
    add(UNCERTAIN)
    add("")
    add("## Fields that identify the scenario")
    add("")
    add("These are not indicators: no rule reads them.")
    add("")
    add("| field | type | meaning |")
    add("|---|---|---|")
    out.extend(f"| `{p}` | {_cell(k)} | {_cell(m)} |" for p, k, m in _identity_rows(Scenario))
    add("")
    add("## Indicators")
    add("")
    add("Each indicator becomes one input fact `indicator {field, value}` (true/false as the texts "
        "`true`/`false`; a list gives one fact per item). *Criterion* names the criteria whose "
        f"scoring bands in {ruleset.id} read the field; other rules may read it too.")
    sections: dict[str, list[FieldInfo]] = {}
    for info in CATALOGUE.values():
        if info.path not in DERIVED:
            sections.setdefault(info.path.rsplit(".", 1)[0], []).append(info)
    for section in sorted(sections, key=lambda s: list(Scenario.model_fields).index(s.split(".")[0])):
        add("")
        add(f"### `{section}`")
        add("")
        add("| field | type | unit | range | meaning | criterion |")
        add("|---|---|---|---|---|---|")
        for info in sections[section]:
            unit = "" if info.unit in ("one of", "true/false") else info.unit
            add(f"| `{info.path}` | {_cell(_type(info))} | {_cell(unit)} | {_range(info)} | "
                f"{_cell(info.doc)} | {', '.join(feeds.get(info.path, [])) or _cell(CONTEXT_ONLY.get(info.path, ''))} |")
    add("")
    add("## Derived indicators")
    add("")
    add("Computed from the fields above by plain arithmetic, so that rules can compare them with "
        "thresholds; their origin in the audit trail lists the lines of the fields they come from. "
        "A derived indicator is absent when a field it needs is absent (or a divisor is 0).")
    add("")
    add("| field | type | unit | formula | meaning | criterion |")
    add("|---|---|---|---|---|---|")
    for path in sorted(DERIVED):
        info = CATALOGUE[path]
        add(f"| `{path}` | {_type(info)} | {_cell(info.unit)} | `{info.formula}` | {_cell(info.doc)} | "
            f"{', '.join(feeds.get(path, []))} |")
    add("")
    add("## The `expect:` block")
    add("")
    add("Optional. It makes the file a test case: `scaleup evaluate FILE --check` (and the test "
        "suite, for files under `scenarios/`) compares the recommendation with it. `criteria` maps "
        "a criterion to its level (1-5, or null for insufficient evidence); `leads` maps a role "
        "to the actor; `clusters` a cluster to its lead; `no_clusters: true` expects no cluster and "
        "`unhcr_level: 0` no UNHCR level; `flags`, `plans` and `fired` list names that must be "
        "present.")
    add("")
    add("| key | type |")
    add("|---|---|")
    out.extend(f"| `{k}` | {_cell(t)} |" for k, t in _expect_rows())
    return "\n".join(out) + "\n"


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Write (or with ``--check`` compare) the generated catalogue; return an exit code."""
    parser = argparse.ArgumentParser(prog="python -m scaleup.docs_gen", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is out of date")
    parser.add_argument("-o", "--output", type=Path, default=DOC_PATH, help="default: docs/scenario.md")
    args = parser.parse_args(argv)
    text = render()
    current = args.output.read_text(encoding="utf-8") if args.output.is_file() else None
    if args.check:
        if current != text:
            print(f"{args.output} is out of date; run: {REGENERATE}", file=sys.stderr)
            return 1
        return 0
    if current != text:
        write_atomic(args.output, text)
        print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
