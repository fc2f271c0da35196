"""Static checks of a loaded rule set: bands out of reach, rules that can never fire, sources and
parameters defined but unused, thresholds that claim a source they do not cite, and the count
of items still marked ``verified: false``.

Band edges out of order, undefined sources and parameters, unknown fields and values are the
loader's checks (``rules check`` reports them first, as errors, and stops there).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from ..errors import Problem
from ..vocabulary import CRITERIA
from ..rules.ir import CompiledRule, CompiledRuleset, RuleKind
from ..rules.overlay import band_key
from .conditions import Reasoner, field_domain, satisfiable
from .findings import Finding, Locator, at_rule, finding


def is_project_source(source_id: Optional[str]) -> bool:
    """The project's own conventions (``SCALEUP-PROJECT``), which no ``basis: source`` may cite."""
    return source_id is not None and source_id.upper().endswith("PROJECT")


def _range(field: str) -> str:
    d = field_domain(field)
    lo = "-inf" if d.lo == float("-inf") else f"{d.lo:g}"
    hi = "no upper limit" if d.hi == float("inf") else f"{d.hi:g}"
    return f"from {lo} to {hi}" if d.hi != float("inf") else f"from {lo} with {hi}"


def band_findings(ruleset: CompiledRuleset, reasoner: Reasoner, locator: Locator) -> list[Finding]:
    """Bands no value of their field can reach, and criterion levels no band gives."""
    out: list[Finding] = []
    levels: dict[str, set[int]] = {c: set() for c in CRITERIA}
    for r in ruleset.rules:
        for e in r.emits:
            fields = dict(e.fields)
            if e.type == "signal" and isinstance(fields.get("level"), int) and r.kind != RuleKind.BAND:
                levels.setdefault(str(fields["criterion"]), set()).add(int(fields["level"]))   # type: ignore[arg-type]  # the level was checked to be an int just above; mypy does not narrow a dict lookup
        key = band_key(r)
        if key is None:
            continue
        criterion = key[0].split("/")[0]          # a presumption table's bands count for their criterion
        if satisfiable(r.patterns[0], reasoner.domains):
            levels.setdefault(criterion, set()).add(int(dict(r.emits[0].fields)["level"]))  # type: ignore[arg-type]  # a band rule's signal carries an int level (rules/compile.py)
            continue
        bounds = [t for t in r.patterns[0].tests if t.field == "value"]
        where = next((locator.edge(criterion, key[1], t.value) for t in bounds if locator.edge(criterion, key[1], t.value)), None)
        file, line = where or (r.file, r.line)
        tests = " and ".join(f"{t.op} {t.value}" for t in bounds)
        out.append(finding("ST01", Problem(
            file, line, r.id, f"this band ({key[1]} {tests}) can never be reached: the field runs {_range(key[1])}",
            "move the edge inside the field's range, or remove it")))
    for criterion, reached in sorted(levels.items()):
        missing = sorted(set(range(1, 6)) - reached)
        if missing and reached:
            first = next(r for r in ruleset.rules if r.id == f"{criterion}/combine")
            out.append(at_rule("ST02", first, f"no band or rule can put {criterion} at level "
                               f"{', '.join(map(str, missing))}", "fine if intended; the completeness check still tries every level"))
    return out


def dead_rule_findings(ruleset: CompiledRuleset, reasoner: Reasoner) -> list[Finding]:
    """Rules that no scenario can make fire.

    A rule fires when any of its ``any:`` combinations can; single combinations that cannot
    (``scale lt 4`` with the alternative ``scale 5``) are normal in a written-out ``any:``.
    """
    dead = reasoner.dead()
    out = []
    for rule_id in ruleset.rule_ids:
        branches = [b for b in ruleset.branches(rule_id) if b.kind != RuleKind.BAND]
        if branches and all(b.key in dead for b in branches):
            out.append(at_rule("ST03", branches[0], f"this rule can never fire: {dead[branches[0].key]}",
                               "check the condition against the field's range and values, and the rules that derive what it needs"))
    return out


def reference_findings(ruleset: CompiledRuleset, locator: Locator) -> list[Finding]:
    """Sources and parameters: undefined, unused, and basis claims."""
    out: list[Finding] = []
    cited: dict[str, CompiledRule] = {}
    params_used: set[str] = set()
    claimed: set[tuple] = set()
    for r in ruleset.rules:
        for source in [r.source] + [t.source for t in r.thresholds]:
            if source is not None:
                cited.setdefault(source, r)
        params_used.update(t.param for p in r.patterns for t in p.tests if t.param)
        params_used.update(param for e in r.emits for _, param in e.params)
        if r.kind == RuleKind.RULE and r.basis == "source" and is_project_source(r.source) and ("rule", r.id) not in claimed:
            claimed.add(("rule", r.id))
            out.append(at_rule("ST04", r, f"basis: source, but it cites {r.source}, the project's own conventions",
                               "cite the document the rule comes from, or say basis: project"))
        for t in r.thresholds:
            if t.basis == "source" and (t.source is None or is_project_source(t.source)) and (r.id, t.field, t.value) not in claimed:
                claimed.add((r.id, t.field, t.value))
                out.append(at_rule("ST05", r, f"the threshold {t.field} {t.op} {t.value} has basis: source but cites "
                                   f"{t.source or 'no source'}", "give the edge or parameter the source it comes from, or say basis: project"))
    for name, param in ruleset.parameters.items():
        file, line = locator.head("parameters", name)
        if param.source is not None:
            cited.setdefault(param.source, None)  # type: ignore[arg-type]  # None: a source cited outside the rules (a parameter), with no rule to name
        if name not in params_used:
            out.append(finding("ST07", Problem(file, line, f"parameters.{name}", "no rule uses this parameter",
                                                              f"refer to it as $param.{name}, or remove it")))
        if param.basis == "source" and (param.source is None or is_project_source(param.source)):
            out.append(finding("ST06", Problem(file, line, f"parameters.{name}", "basis: source but no source is cited",
                                                       "add source: <id>, or say basis: project")))
    for caveat in ruleset.caveats:
        if caveat.source is not None:
            cited.setdefault(caveat.source, None)  # type: ignore[arg-type]  # None: a source cited outside the rules (a caveat), with no rule to name
    for source, rule in sorted(cited.items()):
        if source not in ruleset.sources:
            where = (rule.file, rule.line, rule.id) if rule is not None else (str(Path(ruleset.path) / "ruleset.yaml"), None, "")
            out.append(finding("ST08", Problem(*where, f"cites source {source!r}, which is not defined",
                                                         "add it under sources: in ruleset.yaml")))
    for source in ruleset.sources:
        if source not in cited:
            file, line = locator.head("sources", source)
            out.append(finding("ST09", Problem(file, line, f"sources.{source}", "no rule, edge, parameter or caveat cites this source",
                                                           "cite it where it is used, or remove it")))
    return out


def verified_findings(ruleset: CompiledRuleset) -> list[Finding]:
    """One line counting what is still marked ``verified: false``."""
    rules = sorted({r.id for r in ruleset.rules if not r.verified and r.kind == RuleKind.RULE})
    bands = sorted({"/".join(band_key(r) or ()) for r in ruleset.rules if not r.verified and r.kind == RuleKind.BAND})
    params = sorted(n for n, p in ruleset.parameters.items() if not p.verified)
    items = [("rules", rules), ("indicators", bands), ("parameters", params)]
    total = sum(len(x) for _, x in items)
    listed = "; ".join(f"{kind}: {', '.join(names)}" for kind, names in items if names)
    text = f"{total} item{'s' if total != 1 else ''} marked verified: false" + (f" ({listed})" if listed else "")
    return [finding("ST10", Problem(str(Path(ruleset.path) / "ruleset.yaml"), None, "verified", text,
                                              "check them against their sources" if total else ""))]
