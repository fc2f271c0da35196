"""Load a rule set folder: read every file safely, validate, compile and stratify it.

``load_ruleset("iasc-2018")`` finds a shipped rule set by name; any other argument is a folder.
Every problem in every file is reported at once, located; nothing half-loaded is returned.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Mapping, Optional

from pydantic import ValidationError

from ..errors import Problem, RulesetError
from ..facts import Scalar, engine_value
from ..validation import problems_from
from ..yamlio import Document, load_document
from .compile import Collector, compile_file, did_you_mean, stratify
from .ir import CompiledRule, CompiledRuleset
from .model import Parameter, RuleFile, RulesetFile

DEFAULT_RULESET = "iasc-2018"


def shipped_rulesets_dir() -> Path:
    """The folder of rule sets shipped with scaleup (inside the wheel, or the source tree)."""
    here = Path(__file__).resolve().parent.parent
    packaged = here / "_rulesets"
    return packaged if packaged.is_dir() else here.parent / "rulesets"


def resolve_ruleset(name_or_path: str | os.PathLike[str]) -> Path:
    """A folder path as given, or the shipped rule set of that name."""
    path = Path(name_or_path)
    if path.is_dir():
        return path
    shipped = shipped_rulesets_dir() / str(name_or_path)
    if (shipped / "ruleset.yaml").is_file():
        return shipped
    available = sorted(p.name for p in shipped_rulesets_dir().glob("*") if (p / "ruleset.yaml").is_file())
    raise RulesetError.at(str(name_or_path), None, "", "no such rule set folder",
                          did_you_mean(str(name_or_path), available) if available else "give the path of a folder with ruleset.yaml")


def load_ruleset(name_or_path: str | os.PathLike[str] = DEFAULT_RULESET,
                 overrides: Optional[Mapping[str, Scalar]] = None) -> CompiledRuleset:
    """Load, check and compile a rule set.

    Args:
        name_or_path: a shipped rule set name or a folder.
        overrides: parameter values replacing those in ``ruleset.yaml`` for this run.

    Raises:
        RulesetError: listing every problem, located.
    """
    root = resolve_ruleset(name_or_path)
    display = str(name_or_path) if Path(name_or_path).is_dir() else str(root)
    head_doc = _read(root / "ruleset.yaml", os.path.join(display, "ruleset.yaml"))
    problems: list[Problem] = []
    try:
        head = RulesetFile.model_validate(head_doc.data)
    except ValidationError as exc:
        raise RulesetError(problems_from(exc, head_doc, RulesetFile)) from None
    parameters = _apply_overrides(head.parameters, overrides or {}, head_doc)
    out = Collector(head_doc.name, head_doc.line, problems)
    for name, param in head.parameters.items():
        if param.source and param.source not in head.sources:
            out.add(("parameters", name, "source"), f"source {param.source!r} is not defined",
                    did_you_mean(param.source, list(head.sources)))
    for i, caveat in enumerate(head.caveats):
        if caveat.source and caveat.source not in head.sources:
            out.add(("caveats", i, "source"), f"source {caveat.source!r} is not defined",
                    did_you_mean(caveat.source, list(head.sources)))
    rules: list[CompiledRule] = []
    digests = [("ruleset.yaml", head_doc.sha256)]
    for i, include in enumerate(head.include):
        path = root / include
        if not path.is_file():
            out.add(("include", i), f"included file {include!r} does not exist", "check the path, relative to ruleset.yaml")
            continue
        doc = _read(path, os.path.join(display, include), problems)
        if doc is None:
            continue
        digests.append((include, doc.sha256))
        try:
            rule_file = RuleFile.model_validate(doc.data)
        except ValidationError as exc:
            problems.extend(problems_from(exc, doc, RuleFile))
            continue
        rules.extend(compile_file(rule_file, list(head.sources), parameters, Collector(doc.name, doc.line, problems)))
    _check_unique(rules, problems)

    def report(rule: CompiledRule, message: str, hint: str) -> None:
        problems.append(Problem(rule.file, rule.line, rule.id, message, hint))

    rules = stratify(rules, report)
    if problems:
        raise RulesetError(problems)
    ordered = sorted(rules, key=lambda r: r.stratum)   # stable: file order within a stratum
    digest = hashlib.sha256("".join(f"{n}\0{d}\n" for n, d in sorted(digests)).encode()).hexdigest()
    return CompiledRuleset(
        id=head.id, version=head.version, title=head.title, path=display, sha256=digest,
        effective_from=head.effective_from, sources=head.sources, parameters=parameters,
        caveats=tuple(head.caveats), rules=tuple(ordered),
        strata=max((r.stratum for r in ordered), default=0),
        overrides=tuple(sorted((k, engine_value(v)) for k, v in (overrides or {}).items())),
        files=tuple(n for n, _ in digests))


def _read(path: Path, name: str, problems: Optional[list[Problem]] = None) -> Document:
    try:
        return load_document(path, error=RulesetError, name=name)
    except RulesetError as exc:
        if problems is None:
            raise
        problems.extend(exc.problems)
        return None  # type: ignore[return-value]


def _apply_overrides(parameters: Mapping[str, Parameter], overrides: Mapping[str, Scalar],
                     doc: Document) -> dict[str, Parameter]:
    result = dict(parameters)
    problems = []
    for name, value in overrides.items():
        if name not in parameters:
            problems.append(Problem("--set", None, name, "no such parameter in this rule set",
                                    did_you_mean(name, list(parameters))))
            continue
        old = parameters[name].value
        if isinstance(old, bool) != isinstance(value, bool) or isinstance(old, str) != isinstance(value, str):
            problems.append(Problem("--set", None, name, f"expected a value like {old!r}, got {value!r}",
                                    "give a value of the same kind as in ruleset.yaml"))
            continue
        result[name] = parameters[name].model_copy(update={"value": value})
    if problems:
        raise RulesetError(problems)
    return result


def _check_unique(rules: list[CompiledRule], problems: list[Problem]) -> None:
    """Each id names one rule (its ``any:`` branches share it) or one band."""
    first: dict[str, CompiledRule] = {}
    for r in rules:
        other = first.setdefault(r.id, r)
        if (other.file, other.line) != (r.file, r.line) or (other is not r and other.branch == r.branch):
            problems.append(Problem(r.file, r.line, r.id, f"rule id {r.id!r} is used twice "
                                    f"(first at {other.file}:{other.line})", "give each rule a unique id"))
