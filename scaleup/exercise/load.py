"""Loading a training exercise: the timeline of scenarios it implies, and its answer key.

The baseline scenario is patched inject by inject; the scenario as patched at every inject is
validated (a problem points at the patch line that caused it, or at the baseline) and evaluated
with the exercise's rule set. Each question's answer key is read from that evaluation, never
from the file. A pinned ``expect:`` that disagrees with the engine, an option the kind cannot
have, or an engine answer missing from the options is a located error.

The file format is :mod:`scaleup.exercise.model`; answer sheets and scoring are in
:mod:`scaleup.exercise.score`.

Longer than 300 lines because loading is one pass (the loader class) whose checks share the
document, the timeline and the problem list.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from pydantic import ValidationError

from ..vocabulary import CRITERIA, Criterion
from ..errors import Problem, RulesetError, ScaleupError, ScenarioError
from ..recommendation.evaluate import evaluate_traced
from .model import KINDS, Exercise, Inject, Option, Question, canon
from .keys import answer_key, generated_options, subject_values
from ..paths import real_path
from ..rules.compile import did_you_mean
from ..rules.ir import CompiledRuleset
from ..rules.load import load_ruleset, shipped_rulesets_dir
from ..scenario.model import DATE_MAX, DATE_MIN, Scenario, cross_field_hint, cross_field_problems
from ..scenario.validation import problems_from, split_path
from .timeline import PathT, PatchedScenario, Step, Where, merge, paths
from ..scenario.yamlio import Document, load_document
from ..scenario.validation import dotted

FORBIDDEN_IN_PATCH = ("id", "kind", "expect")


@dataclass(frozen=True)
class Choice:
    """An option as offered: canonical value and label."""

    value: str
    label: str


@dataclass(frozen=True)
class Asked:
    """A question with its options and the engine's answer key."""

    question: Question
    step: int
    number: int
    path: PathT
    prompt: str
    options: tuple[Choice, ...]
    key: Optional[str]

    @property
    def id(self) -> str:
        return self.question.id

    @property
    def scored(self) -> bool:
        return KINDS[self.question.kind].scored

    def label(self, value: str) -> str:
        return next((c.label for c in self.options if c.value == value), value)


@dataclass(frozen=True)
class LoadedExercise:
    """A valid exercise: its file, rule set, the scenario at every inject, and every question."""

    exercise: Exercise
    document: Document
    sha256: str
    ruleset: CompiledRuleset
    steps: tuple[Step, ...]
    questions: tuple[Asked, ...]

    @property
    def name(self) -> str:
        return self.document.name

    def question(self, qid: str) -> Asked:
        return next(q for q in self.questions if q.id == qid)

    def step_of(self, asked: Asked) -> Step:
        return self.steps[asked.step]


def load_exercise(path: str | os.PathLike[str], name: Optional[str] = None, *,
                  allow_outside_paths: bool = False) -> LoadedExercise:
    """Load, validate and key an exercise file.

    Args:
        allow_outside_paths: let ``baseline:`` and ``ruleset:`` name files outside the exercise
            file's folder (an absolute path, ``..``, a symbolic link out). Off by default: an
            exercise passed around must not make scaleup read, and echo in its errors, any file
            the user can read.

    Raises:
        ScenarioError: every problem of the file (and of the scenarios it implies), located.
        RulesetError: the rule set it names is invalid.
    """
    return validate_exercise_document(load_document(path, error=ScenarioError, name=name, keep_going=True),
                                      allow_outside_paths=allow_outside_paths)


def validate_exercise_document(document: Document, *, allow_outside_paths: bool = False) -> LoadedExercise:
    """Validate a parsed ``kind: exercise`` document and compute its answer key."""
    return _Loader(document, allow_outside_paths).run()


OUTSIDE_HINT = ("put it in the exercise's folder (or below it), or pass --allow-outside-paths "
                "if you trust this exercise file")


def outside(folder: Path, target: Path) -> bool:
    """Whether ``target`` resolves (symbolic links followed) outside ``folder`` (a loop of links
    resolves nowhere: the caller reports it as a loop)."""
    base, reached = real_path(folder), real_path(target)
    return base is None or (reached is not None and not reached.is_relative_to(base))


class _Loader:
    def __init__(self, document: Document, allow_outside_paths: bool = False):
        self.doc = document
        self.allow_outside = allow_outside_paths
        self.folder = Path(document.name).parent
        self.problems: list[Problem] = list(document.recoverable)
        self.seen: set[tuple] = set()

    def add(self, path: PathT, message: str, hint: str = "", file: Optional[str] = None,
            line: Optional[int] = None, fieldname: Optional[str] = None) -> None:
        problem = Problem(file or self.doc.name, line if file else self.doc.line(path),
                          dotted(path) if fieldname is None else fieldname, message, hint)
        key = (problem.file, problem.line, problem.field, problem.message)
        if key not in self.seen:
            self.seen.add(key)
            self.problems.append(problem)

    def fail(self) -> ScenarioError:
        return ScenarioError(sorted(self.problems, key=lambda p: (p.file != self.doc.name, p.file, p.line or 0, p.field)))

    def run(self) -> LoadedExercise:
        try:
            exercise = Exercise.model_validate(self.doc.data)
        except ValidationError as exc:
            self.problems.extend(problems_from(exc, self.doc, Exercise))
            raise self.fail() from None
        self._check_ids(exercise)
        ruleset = self._ruleset(exercise)
        base = self._baseline(exercise)
        if ruleset is None or base is None:
            raise self.fail()
        data, where, sha = base
        steps: list[Optional[Step]] = []
        start = data.get("as_of") if isinstance(data.get("as_of"), dt.date) else None
        if start is not None and not DATE_MIN <= start <= DATE_MAX:
            start = None     # no day arithmetic on it: the scenario check reports the date itself
        for i, inject in enumerate(exercise.injects):
            prev = exercise.injects[i - 1].day if i else 0
            if inject.day < prev:
                self.add(("injects", i, "day"), f"day {inject.day} comes before the previous inject's day {prev}",
                         "list injects in time order")
            data, where = self._patch(data, where, i, inject, start)
            steps.append(self._step(i, inject, data, where, ruleset))
        questions = self._questions(exercise, steps, ruleset)
        if self.problems:
            raise self.fail()
        return LoadedExercise(exercise, self.doc, sha, ruleset, tuple(s for s in steps if s), tuple(questions))

    # --- the file itself ---------------------------------------------------------------------
    def _check_ids(self, exercise: Exercise) -> None:
        first: dict[str, PathT] = {}
        for i, inject in enumerate(exercise.injects):
            for j, q in enumerate(inject.questions):
                path = ("injects", i, "questions", j, "id")
                if q.id in first:
                    self.add(path, f"question id {q.id!r} is used twice (first on line {self.doc.line(first[q.id])})",
                             "give each question a unique id")
                first.setdefault(q.id, path)

    def _ruleset(self, exercise: Exercise) -> Optional[CompiledRuleset]:
        local = self.folder / exercise.ruleset
        name = exercise.ruleset
        if (local / "ruleset.yaml").is_file():
            name = str(local)
            if not self.allow_outside and outside(self.folder, local):
                self.add(("ruleset",), f"rule set folder {exercise.ruleset!r} is outside the exercise's folder",
                         OUTSIDE_HINT)
                return None
        elif _shipped(name):
            # by name, even if the current folder happens to hold a folder of that name
            name = str(shipped_rulesets_dir() / name) if Path(name).exists() else name
        elif not self.allow_outside and Path(name).exists():
            # a folder named relative to the current folder, or absolute: outside unless allowed
            self.add(("ruleset",), f"rule set folder {exercise.ruleset!r} is outside the exercise's folder",
                     OUTSIDE_HINT)
            return None
        try:
            return _cached_ruleset(name)
        except RulesetError as exc:
            if len(exc.problems) == 1 and exc.problems[0].message == "no such rule set folder":
                self.add(("ruleset",), f"no rule set named {exercise.ruleset!r}", exc.problems[0].hint)
            else:
                self.problems.extend(exc.problems)
            return None

    def _baseline(self, exercise: Exercise) -> Optional[tuple[dict[str, Any], dict[PathT, Where], str]]:
        sha = self.doc.sha256
        if isinstance(exercise.baseline, str):
            path = self.folder / exercise.baseline
            if real_path(path) is None:
                self.add(("baseline",), f"baseline file {exercise.baseline!r} is a loop of symbolic links",
                         "give the path of the scenario file itself")
                return None
            if not self.allow_outside and outside(self.folder, path):
                # checked before reading: the file's content would otherwise surface in errors
                self.add(("baseline",), f"baseline file {exercise.baseline!r} is outside the exercise's folder",
                         OUTSIDE_HINT)
                return None
            if not path.is_file():
                self.add(("baseline",), f"baseline file {exercise.baseline!r} does not exist",
                         "give a path relative to the exercise file, or the scenario inline")
                return None
            try:
                bdoc = load_document(path, error=ScenarioError, name=os.path.normpath(path))
            except ScaleupError as exc:
                self.problems.extend(exc.problems)
                return None
            if not isinstance(bdoc.data, dict):
                self.add(("baseline",), "the baseline file is not a scenario mapping")
                return None
            sha = hashlib.sha256(f"{self.doc.sha256}\0{bdoc.sha256}".encode()).hexdigest()
            data, lines, file, root = bdoc.data, bdoc.line, bdoc.name, ""
        else:
            data, file, root = exercise.baseline, self.doc.name, "baseline"
            lines = lambda path: self.doc.line(("baseline",) + tuple(path))  # noqa: E731
        if data.get("kind") not in (None, "scenario"):
            self.add(("baseline", "kind"), f"the baseline must be a scenario, not a {data.get('kind')!r} file")
            return None
        data = {k: copy.deepcopy(v) for k, v in data.items() if k not in ("kind", "expect")}
        where: dict[PathT, Where] = {}
        for loc in paths(data):
            where[loc] = Where(file, lines(loc), root)
        return data, where, sha

    # --- the timeline ------------------------------------------------------------------------
    def _patch(self, data: dict[str, Any], where: dict[PathT, Where], i: int, inject: Inject,
               start: Optional[dt.date]) -> tuple[dict[str, Any], dict[PathT, Where]]:
        data, where = copy.deepcopy(data), dict(where)
        at = ("injects", i, "patch")
        for key in FORBIDDEN_IN_PATCH:
            if key in inject.patch:
                self.add(at + (key,), f"a patch cannot change {key!r}", "remove it from the patch")
        patch = {k: v for k, v in inject.patch.items() if k not in FORBIDDEN_IN_PATCH}
        if "as_of" not in patch and start is not None:
            data["as_of"] = start + dt.timedelta(days=inject.day)
            where[("as_of",)] = Where(self.doc.name, self.doc.line(("injects", i, "day")), f"injects[{i}].day")
        merge(data, patch, (), where, lambda p: Where(self.doc.name, self.doc.line(at + p), f"injects[{i}].patch"))
        return data, where

    def _step(self, i: int, inject: Inject, data: dict[str, Any], where: dict[PathT, Where],
              ruleset: CompiledRuleset) -> Optional[Step]:
        lines = {p: w.line for p, w in where.items() if w.file == self.doc.name and w.line is not None}
        sdoc = Document(self.doc.name, data, lines, self.doc.sha256)
        loaded = PatchedScenario(None, sdoc, where=where)  # type: ignore[arg-type]  # no Scenario yet: this one only locates problems (where_of) before validation
        scenario: Optional[Scenario] = None
        found: list[tuple[str, str, str]] = []
        try:
            scenario = Scenario.model_validate(data)
        except ValidationError as exc:
            found = [(p.field, p.message, p.hint) for p in problems_from(exc, sdoc, Scenario)]
        if scenario is not None:
            found = [(path, message, cross_field_hint(message)) for path, message in cross_field_problems(scenario)]
        for field, message, hint in found:
            w = loaded.where_of(split_path(field)) or Where(self.doc.name, self.doc.line(("injects", i)), f"injects[{i}].patch")
            self.add((), f"{message} (in the scenario as patched at injects[{i}], day {inject.day})", hint,
                     file=w.file, line=w.line, fieldname=w.label(field))
        if scenario is None or found:
            return None
        loaded = PatchedScenario(scenario, sdoc, where=where)
        rec, ev = evaluate_traced(loaded, ruleset)
        return Step(i, inject, loaded, rec, ev)

    # --- questions -----------------------------------------------------------------------------
    def _questions(self, exercise: Exercise, steps: list[Optional[Step]], ruleset: CompiledRuleset) -> list[Asked]:
        out: list[Asked] = []
        for i, inject in enumerate(exercise.injects):
            for j, q in enumerate(inject.questions):
                path = ("injects", i, "questions", j)
                asked = self._question(q, path, steps[i], ruleset, len(out) + 1)
                if asked is not None:
                    out.append(asked)
        return out

    def _question(self, q: Question, path: PathT, step: Optional[Step], ruleset: CompiledRuleset,
                  number: int) -> Optional[Asked]:
        spec = KINDS[q.kind]
        ok = True
        for name in ("criterion", "cluster", "role", "milestone", "flag"):
            if getattr(q, name) is not None and name != spec.subject:
                self.add(path + (name,), f"a {q.kind} question does not take '{name}:'", "remove it")
                ok = False
        subject = getattr(q, spec.subject) if spec.subject else None
        if spec.subject and subject is None:
            known = subject_values(ruleset, q.kind)
            self.add(path, f"a {q.kind} question needs '{spec.subject}:'",
                     f"known in {ruleset.id}: {', '.join(known)}" if known else f"add '{spec.subject}:'")
            return None
        if spec.subject and spec.subject != "criterion":
            known = subject_values(ruleset, q.kind)
            if subject not in known:
                self.add(path + (spec.subject,), f"no rule of {ruleset.id} {ruleset.version} derives a "
                         f"{spec.subject} named {subject!r}",
                         did_you_mean(str(subject), known) if known else f"the rule set derives no {spec.subject} at all")
                ok = False
        if not spec.scored:
            for name in ("options", "expect"):
                if getattr(q, name) is not None:
                    self.add(path + (name,), f"a reflection is not scored, so it takes no '{name}:'", "remove it")
                    ok = False
            if q.prompt is None:
                self.add(path, "a reflection needs a 'prompt:'", "write the question participants should reflect on")
                ok = False
            return Asked(q, step.index if step else 0, number, path, q.prompt or "", (), None) if ok and step else None
        if not ok or step is None:
            return None
        key = answer_key(q, step.rec)
        if key is None:
            self.add(path, f"the engine derives the {subject} milestone at injects[{path[1]}] but without a date",
                     "give the anchor date (activation.date or hazard.started) in the baseline or a patch")
            return None
        choices = self._options(q, path, step, ruleset)
        if choices is None:
            return None
        values = [c.value for c in choices]
        if q.expect is not None and canon(q.expect) != key:
            self.add(path + ("expect",), f"pinned answer {canon(q.expect)!r} but the engine answers {key!r} "
                     f"with {ruleset.id} {ruleset.version}",
                     "a rule or the scenario changed: check why (scaleup exercise validate --key), then update or remove expect")
        if key not in values:
            self.add(path + ("options",) if q.options else path,
                     f"the engine's answer {key!r} is not among the options ({', '.join(values)})",
                     "add it to the options, or omit options to have them generated")
        prompt = q.prompt or spec.prompt.format(subject=Criterion(subject).phrase
                                                if q.kind == "criterion" and subject in CRITERIA else subject)
        return Asked(q, step.index, number, path, prompt, tuple(choices), key)

    def _options(self, q: Question, path: PathT, step: Step, ruleset: CompiledRuleset) -> Optional[list[Choice]]:
        spec = KINDS[q.kind]
        if q.options is None:
            generated = [Choice(v, _default_label(q.kind, v)) for v in generated_options(q, step, ruleset)]
            if len(generated) < 2:
                self.add(path, f"the rule set offers only {len(generated)} possible answer(s) for this question",
                         "give at least two 'options:'")
                return None
            return generated
        out: list[Choice] = []
        closed = spec.values
        for k, raw in enumerate(q.options):
            value, label = (raw.value, raw.label) if isinstance(raw, Option) else (raw, None)
            v = canon(value)
            at = path + ("options", k)
            if closed and v not in closed:
                self.add(at, f"{v!r} cannot be an answer to a {q.kind} question", did_you_mean(v, list(closed)))
                return None
            if v in [c.value for c in out]:
                self.add(at, f"option {v!r} is listed twice", "remove one")
                return None
            out.append(Choice(v, label or _default_label(q.kind, v)))
        return out


def _default_label(kind: str, value: str) -> str:
    return KINDS[kind].labels.get(value) or value


def _shipped(name: str) -> bool:
    """Whether ``name`` is the name of a shipped rule set (not a path)."""
    return (Path(name).name == name and name not in (".", "..")
            and (shipped_rulesets_dir() / name / "ruleset.yaml").is_file())


_RULESETS: dict[str, CompiledRuleset] = {}


def _cached_ruleset(name: str) -> CompiledRuleset:
    """Rule sets are loaded once per process and per name (an exercise evaluates it many times)."""
    if name not in _RULESETS:
        _RULESETS[name] = load_ruleset(name)
    return _RULESETS[name]
