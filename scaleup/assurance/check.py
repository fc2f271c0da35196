"""``scaleup rules check``: everything the loader checks, the static checks, contradictions between
rules, the exhaustive completeness of the decision, the route and the scope, and the consistency
invariants over the same enumeration.

Errors make the rule set unfit to use (the command exits 1); warnings deserve a look; info lines
are counts. Every finding is located: ``file:line: rule id: message (hint)``.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Mapping, Optional, Sequence

from ..engine.audit import Evaluation
from ..errors import Problem, RulesetError
from ..facts import Fact, Scalar
from ..rules.ir import CompiledRuleset
from ..rules.load import load_ruleset
from . import conflicts, static
from .completeness import Completeness, Evaluate, check_completeness
from .consistency import InvariantSweep, sweep_invariants
from .conditions import Reasoner
from .findings import Finding, Locator, Severity, finding
from .invariants import CODES, HINTS
from .reduction import cube_size, describe_cube
from .situations import level_label, situation_problems

SHOWN_CASES = 4


@dataclass
class CheckReport:
    """What ``rules check`` found."""

    ruleset: str
    version: str
    path: str
    findings: list[Finding] = field(default_factory=list)
    completeness: Optional[Completeness] = None
    invariants: Optional[InvariantSweep] = None
    verdicts: list[conflicts.Verdict] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def ok(self) -> bool:
        return self.count(Severity.ERROR) == 0


def _python() -> Evaluate:
    from ..engine.pyeval import run   # the engine a check asks for, imported when asked
    return run


def _durable() -> Evaluate:
    from ..engine.durable import engine_for   # durable_rules, only for the cross-check

    def run(ruleset: CompiledRuleset, facts: Sequence[Fact]) -> Evaluation:
        return engine_for(ruleset).evaluate(facts, "<combination>")
    return run


def check_ruleset(name_or_path: str | os.PathLike[str], sample: int = 1000, seed: int = 2018,
                  evaluate: Optional[Evaluate] = None, reference: Optional[Evaluate] = None,
                  exhaustive: bool = True, overrides: Optional[Mapping[str, Scalar]] = None) -> CheckReport:
    """Check a rule set folder (or shipped name).

    Args:
        name_or_path: the rule set.
        sample: combinations cross-checked on durable_rules (0 skips the cross-check).
        seed: the seed of that sample.
        evaluate: the evaluator for enumerations and witnesses (default: the pure-Python one).
        reference: the evaluator to agree with (default: durable_rules).
        exhaustive: run the completeness enumeration and the invariants over it (only the static
            checks when False).
        overrides: parameters and band edges to set first (``--set``).
    """
    start = time.perf_counter()
    try:
        ruleset = load_ruleset(name_or_path, overrides)
    except RulesetError as exc:
        report = CheckReport(str(name_or_path), "", str(name_or_path),
                             [finding("LD01", p) for p in exc.problems])
        report.findings.append(finding("LD02", Problem(str(name_or_path), None, "",
                               "the other checks need a rule set that loads; fix the errors above first")))
        report.seconds = time.perf_counter() - start
        return report
    report = CheckReport(ruleset.id, ruleset.version, ruleset.path)
    evaluate = evaluate or _python()
    reasoner = Reasoner(ruleset.rules)
    locator = Locator(ruleset)
    report.findings += static.band_findings(ruleset, reasoner, locator)
    report.findings += static.dead_rule_findings(ruleset, reasoner)
    report.findings += [finding("CP01", p) for p in situation_problems()]
    if exhaustive and not any(f.check == "completeness" for f in report.findings):
        report.completeness = check_completeness(ruleset, evaluate, reference or _durable() if sample else None,
                                                 sample=sample, seed=seed)
        report.findings += completeness_findings(ruleset, report.completeness)
        report.invariants = sweep_invariants(ruleset, evaluate)
        report.findings += invariant_findings(ruleset, report.invariants)
    report.verdicts = conflicts.judge(ruleset, reasoner, evaluate, report.completeness)
    report.findings += conflict_findings(report.verdicts)
    report.findings += static.reference_findings(ruleset, locator)
    report.findings += static.verified_findings(ruleset)
    report.seconds = time.perf_counter() - start
    return report


def _first_rule(ruleset: CompiledRuleset, fact_type: str) -> tuple[str, Optional[int]]:
    rule = next((r for r in ruleset.rules if fact_type in r.writes), None)
    return (rule.file, rule.line) if rule else (os.path.join(ruleset.path, "ruleset.yaml"), None)


def completeness_findings(ruleset: CompiledRuleset, result: Completeness) -> list[Finding]:
    """Group the defects (same target, kind, values and cases in several classes) into findings."""
    grouped: dict[tuple, list[str]] = {}
    for d in result.defects:
        grouped.setdefault((d.target, d.kind, d.values, d.rules, d.cubes), []).append(d.case)
    out = []
    for (target, kind, values, rules, cubes), where in grouped.items():
        total = result.targets[target].combinations
        count = sum(cube_size(c) for c in cubes) * len(where)
        what = f"no {target}" if kind == "none" else f"{len(values)} {target}s ({', '.join(values)}; rules {', '.join(rules)})"
        shown = "; ".join(describe_cube(c) for c in cubes[:SHOWN_CASES])
        more = f"; and {len(cubes) - SHOWN_CASES} more groups" if len(cubes) > SHOWN_CASES else ""
        code = ("CP03" if target == "route" else "CP02") if kind == "none" else "CP04"
        hint = (f"add or widen a {target} rule so that these combinations get one" if kind == "none"
                else "make the rules' conditions exclusive (e.g. a not: on what the other rule needs)")
        file, line = _first_rule(ruleset, target)
        out.append(finding(code, Problem(
            file, line, target, f"{what} for {count:,} of {total:,} combinations, in {', '.join(where)}: {shown}{more}", hint)))
    for dis in result.disagreements[:10]:
        levels = ", ".join(level_label(x) for x in dis.levels)
        out.append(finding("CP05", Problem(ruleset.path, None, dis.target,
                   f"the Python evaluator gives {list(dis.python)} but durable_rules {list(dis.durable)} in {dis.case} "
                   f"with criteria ({levels})", "a defect in scaleup.engine.pyeval or scaleup.engine.durable; please report it")))
    seconds = result.seconds + result.crosscheck_seconds
    summary = ", ".join(f"{t}: {r.combinations:,} combinations ({r.evaluations:,} evaluated)" for t, r in result.targets.items())
    check = (f"; {result.sample:,} cross-checked on durable_rules (seed {result.seed}), "
             f"{len(result.disagreements)} disagreements") if result.sample else "; no cross-check"
    out.append(finding("CP00", Problem(ruleset.path, None, "completeness",
                                                      f"{summary}{check}; {seconds:.1f} s")))
    return out


def invariant_findings(ruleset: CompiledRuleset, sweep: InvariantSweep) -> list[Finding]:
    """One error per invariant broken about one subject, with an example; then the counts."""
    where = {r.id: (r.file, r.line) for r in ruleset.rules}
    out = []
    for v in sweep.violations:
        file, line = next((where[r] for r in v.rules if r in where), _first_rule(ruleset, "decision"))
        out.append(finding(v.code, Problem(
            file, line, v.code, f"{v.example.message}; in {v.combinations:,} of {sweep.combinations:,} combinations, "
            f"in {', '.join(v.cases)}; e.g. {v.case} with {v.describe_levels()}", HINTS[v.code])))
    broken = ", ".join(f"{code} ({count:,} combinations)" for code, count in sweep.by_code.items())
    out.append(finding("INV00", Problem(ruleset.path, None, "invariants", (
        f"{', '.join(CODES)} checked on {sweep.combinations:,} combinations in {sweep.classes} situation classes "
        f"({sweep.evaluations:,} evaluations): " + (f"broken: {broken}" if broken else "all hold")
        + f"; {sweep.seconds:.1f} s"))))
    return out


def conflict_findings(verdicts: Sequence[conflicts.Verdict]) -> list[Finding]:
    out = []
    for v in verdicts:
        p = v.pair
        if v.status == "exclusive":
            continue
        other = f"{p.b.key} ({p.b.file}:{p.b.line}) asserts {p.slot} = {p.value(p.b_emit)}"
        if v.status == "witnessed":
            out.append(finding("CF01", Problem(
                p.a.file, p.a.line, p.a.key, f"asserts {p.slot} = {p.value(p.a_emit)} while {other}, and both fire "
                f"with: {v.reason}", "make the conditions exclusive (e.g. a not: on what the other rule needs)")))
        else:
            out.append(finding("CF02", Problem(
                p.a.file, p.a.line, p.a.key, f"asserts {p.slot} = {p.value(p.a_emit)} while {other}; they could not be "
                "shown exclusive, and no input making both fire was found", "add a condition that makes them exclusive")))
    return out
