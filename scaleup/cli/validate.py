"""``scaleup validate``: check scenario files, exercise files and rule set folders."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from ..errors import Problem, ScaleupError, ScenarioError
from ..exercise.load import validate_exercise_document
from ..scenario.inputs import expand_paths, kind_of
from ..paths import display_name
from ..rules.load import load_ruleset
from ..scenario.load import validate_document
from ..scenario.yamlio import Document, load_document
from ..batch.scenario_files import Reading, holds_rows, read_all

VALIDATORS: dict[str, Callable[[Document], object]] = {"scenario": validate_document, "exercise": validate_exercise_document}


@dataclass
class Validation:
    ok: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    checked: int = 0
    failed: int = 0


def validate_paths(paths: Sequence[str]) -> Validation:
    """Validate every file and rule set folder named; never stops at the first bad file."""
    result = Validation()
    files: list[str] = []
    for raw in paths:
        if (Path(raw) / "ruleset.yaml").is_file():
            result.checked += 1
            try:
                rs = load_ruleset(raw)
                result.ok.append(f"{raw} (rule set {rs.id} {rs.version}, {len(rs.rule_ids)} rules)")
            except ScaleupError as exc:
                result.failed += 1
                result.problems.extend(exc.problems)
        else:
            files.append(raw)
    found, missing = expand_paths(files) if files else ([], [])
    result.problems.extend(missing)
    result.failed += len(missing)
    result.checked += len(missing)   # a missing path counts as one invalid file of those named
    for path in found:
        if path.name == "ruleset.yaml" or "rulesets" in path.parts:
            result.skipped.append(f"{display_name(path)} (part of a rule set: validate its folder)")
            continue
        if holds_rows(path):   # .jsonl, .csv, .xlsx: each line or row is a scenario of its own
            _validate_rows(path, result)
            continue
        result.checked += 1
        try:
            document = load_document(path, error=ScenarioError, name=display_name(path), keep_going=True)
            kind = kind_of(document)
            validator = VALIDATORS.get(kind)
            if validator is None:
                result.skipped.append(f"{display_name(path)} (kind {kind!r} is not checked by validate)")
                continue
            validator(document)
            result.ok.append(display_name(path))
        except ScaleupError as exc:
            result.failed += 1
            result.problems.extend(exc.problems)
    return result


def _validate_rows(path: Path, result: Validation) -> None:
    reading = Reading()
    for where, item in read_all([path], reading=reading):
        result.checked += 1
        if isinstance(item, ScaleupError):
            result.failed += 1
            result.problems.extend(item.problems)
        elif hasattr(item, "scenario"):
            result.ok.append(where)
        else:
            result.skipped.append(f"{where} (kind {item.kind!r} is not checked by validate)")
    result.skipped.extend(reading.notes)
