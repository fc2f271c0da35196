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
from ..scenario.validation import problems_from
from ..scenario.yamlio import Document, load_document
from .compile import Collector, compile_file, did_you_mean
from .strata import stratify
from .ir import CompiledRule, CompiledRuleset
from .limits import DEFAULT_RULE_LIMITS, check_rules, estimate_rules, outside_folder
from .model import Parameter, RuleFile, RulesetFile
from .overlay import MAX_DEPTH, Layer, check_value, kind_problem, merge_heads, merge_rules, set_edges, split_overrides

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
        overrides: parameter values replacing those in ``ruleset.yaml`` for this run, and band
            edges (``scale/populations.iasc_caseload.edges[1]``; see :mod:`.overlay`).

    Raises:
        RulesetError: listing every problem, located.
    """
    root = resolve_ruleset(name_or_path)
    display = str(name_or_path) if Path(name_or_path).is_dir() else str(root)
    problems: list[Problem] = []
    chain = read_chain(root, display, problems)
    head = chain[-1].head
    sources, parameters, caveats = merge_heads(chain)
    parameter_sets, edge_sets = split_overrides(overrides or {})
    parameters = _apply_overrides(parameters, parameter_sets, chain[-1].head_doc)
    problems.extend(set_edges(chain, edge_sets))
    for layer in chain:
        out = Collector(layer.head_doc.name, layer.head_doc.line, problems)
        for name, param in layer.head.parameters.items():
            if param.source and param.source not in sources:
                out.add(("parameters", name, "source"), f"source {param.source!r} is not defined",
                        did_you_mean(param.source, list(sources)))
        for i, caveat in enumerate(layer.head.caveats):
            if caveat.source and caveat.source not in sources:
                out.add(("caveats", i, "source"), f"source {caveat.source!r} is not defined",
                        did_you_mean(caveat.source, list(sources)))
    layers: list[list[CompiledRule]] = []
    for layer in chain:
        compiled: list[CompiledRule] = []
        for _, doc, rule_file in layer.files:
            compiled.extend(compile_file(rule_file, list(sources), parameters, Collector(doc.name, doc.line, problems)))
        _check_unique(compiled, problems)
        layers.append(compiled)
    rules = merge_rules(layers)

    def report(rule: CompiledRule, message: str, hint: str) -> None:
        problems.append(Problem(rule.file, rule.line, rule.id, message, hint))

    rules = stratify(rules, report)
    problems.extend(check_rules(rules, chain[-1].head_doc.name))   # before anything reaches durable_rules
    if problems:
        raise RulesetError(problems)
    ordered = sorted(rules, key=lambda r: r.stratum)   # stable: file order within a stratum
    # Base layers' files are named by their rule set id, so an overlay's digest covers them too.
    digests = [(n if k == len(chain) - 1 else f"{layer.head.id}:{n}", d)
               for k, layer in enumerate(chain) for n, d in layer.digests]
    digest = hashlib.sha256("".join(f"{n}\0{d}\n" for n, d in sorted(digests)).encode()).hexdigest()
    return CompiledRuleset(
        id=head.id, version=head.version, title=head.title, path=display, sha256=digest,
        effective_from=head.effective_from, sources=sources, parameters=parameters,
        caveats=caveats, rules=tuple(ordered),
        strata=max((r.stratum for r in ordered), default=0),
        overrides=tuple(sorted((k, engine_value(v)) for k, v in (overrides or {}).items())),
        files=tuple(n for n, _ in digests))


def _read_layer(root: Path, display: str, problems: list[Problem]) -> Layer:
    """Read and validate one rule set folder's files (compiling comes later, over the chain).

    Every file read (``ruleset.yaml`` itself and each include) must resolve inside ``root``:
    a symbolic link out of the folder is refused before it is read."""
    if why := outside_folder(root, "ruleset.yaml"):
        if why.endswith("a loop of symbolic links"):
            raise RulesetError.at(os.path.join(display, "ruleset.yaml"), None, "",
                                  "ruleset.yaml is a loop of symbolic links", "replace the link with the file")
        raise RulesetError.at(os.path.join(display, "ruleset.yaml"), None, "",
                              "ruleset.yaml is a symbolic link out of the rule set folder",
                              "copy the file into the folder instead of linking to it")
    head_doc = _read(root / "ruleset.yaml", os.path.join(display, "ruleset.yaml"))
    try:
        head = RulesetFile.model_validate(head_doc.data)
    except ValidationError as exc:
        raise RulesetError(problems_from(exc, head_doc, RulesetFile)) from None
    layer = Layer(root, display, head_doc, head, digests=[("ruleset.yaml", head_doc.sha256)])
    out = Collector(head_doc.name, head_doc.line, problems)
    estimated = 0
    for i, include in enumerate(head.include):
        path = root / include
        if why := outside_folder(root, include):   # no `..`, absolute path or link out of the folder
            out.add(("include", i), why, "include files from this folder or below")
            continue
        if not path.is_file():
            out.add(("include", i), f"included file {include!r} does not exist", "check the path, relative to ruleset.yaml")
            continue
        doc = _read(path, os.path.join(display, include), problems)
        if doc is None:
            continue
        estimated += estimate_rules(doc.data, DEFAULT_RULE_LIMITS.max_rules)
        if estimated > DEFAULT_RULE_LIMITS.max_rules:
            # refused before validating and compiling the rest: a 23 MB rule set took minutes
            out.add(("include", i), f"with {include!r} the rule set has more than {DEFAULT_RULE_LIMITS.max_rules:,} "
                    f"rules (counted before compiling: {estimated:,} so far, bands and any: branches included; "
                    f"at most {DEFAULT_RULE_LIMITS.max_rules:,})",
                    "split it into smaller rule sets, or use fewer any: alternatives and bands")
            raise RulesetError(problems)
        layer.digests.append((include, doc.sha256))
        try:
            layer.files.append((include, doc, RuleFile.model_validate(doc.data)))
        except ValidationError as exc:
            problems.extend(problems_from(exc, doc, RuleFile))
    return layer


def read_chain(root: Path, display: str, problems: list[Problem]) -> list[Layer]:
    """The rule set and the rule sets it ``extends:``, base first (see :mod:`.overlay`)."""
    chain = [_read_layer(root, display, problems)]
    while (name := chain[0].head.extends):
        top = chain[0]
        local = top.root / name
        if Path(name).is_absolute():
            raise RulesetError.at(top.head_doc.name, top.head_doc.line(("extends",)), "extends",
                                  f"{name!r} is an absolute path", "give a shipped rule set name or a folder path "
                                  "relative to this rule set, e.g. ../iasc-2018")
        if (local / "ruleset.yaml").is_file():
            if (why := linked_out(top.root, name)):
                raise RulesetError.at(top.head_doc.name, top.head_doc.line(("extends",)), "extends",
                                      f"extends {name!r}, {why}", "name the folder itself, not a link to it")
            base, base_display = local, os.path.normpath(os.path.join(top.display, name))
        elif ".." not in Path(name).parts and (shipped_rulesets_dir() / name / "ruleset.yaml").is_file():
            base = shipped_rulesets_dir() / name
            base_display = str(base)
        else:
            available = sorted(p.name for p in shipped_rulesets_dir().glob("*") if (p / "ruleset.yaml").is_file())
            raise RulesetError.at(top.head_doc.name, top.head_doc.line(("extends",)), "extends",
                                  f"no rule set {name!r} to extend",
                                  "give a shipped rule set name or a folder path relative to this one; "
                                  + did_you_mean(name, available))
        if any(layer.root.resolve() == base.resolve() for layer in chain) or len(chain) >= MAX_DEPTH:
            raise RulesetError.at(top.head_doc.name, top.head_doc.line(("extends",)), "extends",
                                  f"extends {name!r}, which leads back to a rule set already in the chain "
                                  f"(or more than {MAX_DEPTH} levels)", "an overlay extends a complete rule set")
        chain.insert(0, _read_layer(base, base_display, problems))
    return chain


def linked_out(root: Path, name: str) -> Optional[str]:
    """Why the folder path ``name`` (relative to ``root``) may not be followed, or None: it must
    name the folder it reaches, not pass through a symbolic link that leads somewhere else."""
    named = Path(os.path.normpath(root.resolve() / name))
    reached = (root / name).resolve()
    return None if named == reached else f"which is a symbolic link (to {reached})"


def _read(path: Path, name: str, problems: Optional[list[Problem]] = None) -> Document:
    try:
        return load_document(path, error=RulesetError, name=name)
    except RulesetError as exc:
        if problems is None:
            raise
        problems.extend(exc.problems)
        return None  # type: ignore[return-value]  # only when problems is given: the caller reads the problems before any document


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
        if isinstance(old, (bool, str)):
            if type(value) is not type(old):
                problems.append(Problem("--set", None, name, f"expected a value like {old!r}, got {value!r}",
                                        "give a value of the same kind as in ruleset.yaml"))
                continue
            if isinstance(value, str):
                try:
                    engine_value(value)
                except ValueError as exc:
                    problems.append(Problem("--set", None, name, f"the text cannot be a parameter: {exc}",
                                            "give a shorter text"))
                    continue
        else:
            unit = parameters[name].unit
            wrong = check_value(value, unit, isinstance(old, int))
            if wrong:
                problems.append(Problem("--set", None, name, wrong,
                                        "give a value of the same kind as in ruleset.yaml" if kind_problem(value)
                                        else f"give a value like {old!r}; the range follows the unit "
                                        f"{unit or '(none)'!s} (docs/assurance.md)"))
                continue
            if isinstance(value, float) and value.is_integer():
                value = int(value)
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
