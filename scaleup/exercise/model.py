"""The training exercise file format (``kind: exercise``): pydantic models, question kinds and
their answer sets.

An exercise is a baseline scenario and a timeline of injects; each inject patches the scenario
and asks questions of a fixed set of kinds, each of which the engine can answer from the
scenario as patched up to that inject. The answer key is never written in the file: a trainer
may only *pin* an expected answer (``expect:``) to be warned when a rule change moves it.

Answers are compared in one canonical text form (:func:`canon`): ``3`` and ``"3"`` are the same
level, ``true`` and ``yes`` the same yes/no answer, a date is ``YYYY-MM-DD``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from ..vocabulary import CRITERIA, DECISIONS, NO_LEVEL, ROUTES, VARIANTS, Decision, Level, Route, Variant
from ..scenario.model import Scenario

NONE = "none"
YES_NO = ("yes", "no")
LEVEL_WORDS = {str(level.value): level.numbered for level in Level} | {"insufficient": NO_LEVEL.capitalize()}


@dataclass(frozen=True)
class KindSpec:
    """What a question kind asks and which answers it can have.

    Attributes:
        subject: the question field naming what is asked about (``criterion``, ``cluster``...).
        values: the closed answer set (canonical text), or ``()`` when it comes from the rule set.
        labels: display text for answers that have one.
        prompt: the default question, formatted with the subject.
        scored: False only for free-text reflection.
    """

    subject: str
    values: tuple[str, ...]
    labels: dict[str, str]
    prompt: str
    scored: bool = True


KINDS: dict[str, KindSpec] = {
    "scale_up": KindSpec("", DECISIONS, {d.value: d.phrase for d in Decision},
        "What should be recommended to the ERC about a System-Wide Scale-Up?"),
    "route": KindSpec("", ROUTES + (NONE,), {r.value: r.phrase for r in Route} | {NONE: "No route applies"},
        "Which coordination route applies?"),
    "variant": KindSpec("", VARIANTS + (NONE,), {v.value: v.label for v in Variant} | {NONE: "No Scale-Up protocol applies"},
        "Which Scale-Up protocol applies?"),
    "criterion": KindSpec("criterion", ("1", "2", "3", "4", "5", "insufficient"), LEVEL_WORDS,
                          "What level does the {subject} reach (1 very low .. 5 very high)?"),
    "lead": KindSpec("role", (), {NONE: "Nobody is named"}, "Who leads ({subject})?"),
    "cluster_lead": KindSpec("cluster", (), {NONE: "The cluster is not activated"},
                             "Which agency should lead the {subject} cluster?"),
    "cluster_activated": KindSpec("cluster", YES_NO, {"yes": "Yes", "no": "No"},
                                  "Should the {subject} cluster be activated?"),
    "unhcr_level": KindSpec("", (NONE, "1", "2", "3"), {
        NONE: "No UNHCR emergency declaration",
        "1": "Level 1: proactive preparedness",
        "2": "Level 2: stepped-up support from the bureau and headquarters",
        "3": "Level 3: whole-of-UNHCR mobilisation"},
        "Which UNHCR emergency level applies?"),
    "milestone": KindSpec("milestone", (), {NONE: "No such milestone applies"},
                          "On which date is the '{subject}' milestone due?"),
    "flag": KindSpec("flag", YES_NO, {"yes": "Yes", "no": "No"},
                     "Is the '{subject}' flag raised (a departure from the protocol or a warning)?"),
    "reflection": KindSpec("", (), {}, "", scored=False),
}
SUBJECTS = ("criterion", "cluster", "role", "milestone", "flag")


def canon(value: Any) -> str:
    """The canonical text of an answer or option value."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if value is None:
        return NONE
    text = str(value).strip()
    return {"true": "yes", "false": "no"}.get(text.lower(), text)


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Slug = Annotated[StrictStr, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,79}$")]
QuestionId = Annotated[StrictStr, Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,39}$")]
Text = Annotated[StrictStr, Field(min_length=1, max_length=200)]
LongText = Annotated[StrictStr, Field(min_length=1, max_length=4000)]
# An answer as an exercise file may write it (read strictly), in the engine's terms.
AnswerValue = Union[StrictBool, StrictInt, dt.date, Annotated[StrictStr, Field(min_length=1, max_length=200)]]


class Option(Model):
    """An answer offered to participants: the value compared with the engine's, and a label."""

    value: AnswerValue = Field(description="The answer in the engine's terms (e.g. recommend, 4, UNHCR, 2026-09-20)")
    label: Optional[Text] = Field(default=None, description="What participants read; defaults to the value's description")


class Question(Model):
    """One question of an inject. ``criterion``, ``cluster``, ``role``, ``milestone`` or ``flag``
    names what the question is about, as its kind requires."""

    id: QuestionId = Field(description="Unique in the exercise; answer sheets refer to it")
    kind: Literal[tuple(KINDS)] = Field(description="What is asked; see docs/exercises.md")  # type: ignore[valid-type]  # Literal built from the vocabulary's tuple (pydantic reads it; mypy cannot)
    prompt: Optional[LongText] = Field(default=None, description="The question as participants read it; "
                                       "each kind has a default (a reflection must give one)")
    criterion: Optional[Literal[CRITERIA]] = Field(default=None, description="For kind criterion")  # type: ignore[valid-type]  # Literal built from the vocabulary's tuple (pydantic reads it; mypy cannot)
    cluster: Optional[Text] = Field(default=None, description="For cluster_lead and cluster_activated: the cluster name as the rule set writes it")
    role: Optional[Text] = Field(default=None, description="For lead: the role as the rule set writes it")
    milestone: Optional[Text] = Field(default=None, description="For milestone: the milestone name as the rule set writes it")
    flag: Optional[Text] = Field(default=None, description="For flag: the flag name as the rule set writes it")
    options: Optional[Annotated[list[Union[Option, AnswerValue]], Field(min_length=2, max_length=12)]] = Field(
        default=None, description="Answers offered; generated from the rule set when omitted (not for reflection)")
    expect: Optional[AnswerValue] = Field(default=None, description="Pinned answer: validation fails when the engine's "
                                     "answer differs (a guard against rule changes, never the key itself)")
    debrief: Optional[LongText] = Field(default=None, description="A note for the facilitator's debrief")


class Inject(Model):
    """A step of the timeline: what happens, how the scenario changes, and what is asked."""

    day: Annotated[StrictInt, Field(ge=0, le=3650)] = Field(
        description="Days since the baseline's as_of; the scenario's as_of advances with it unless the patch sets as_of")
    title: Optional[Text] = None
    narrative: LongText = Field(description="What participants are told, one paragraph or a few")
    patch: dict[str, Any] = Field(default_factory=dict, description="Scenario fields that change, nested as in a "
                                  "scenario file, merged into the scenario so far (null removes a field)")
    questions: Annotated[list[Question], Field(max_length=20)] = Field(default_factory=list)


class Exercise(Model):
    """A table-top exercise: a baseline scenario and a timeline of injects with questions."""

    kind: Literal["exercise"] = Field(description="Marks the file as an exercise")
    id: Slug = Field(description="Identifier: lowercase letters, digits and dashes")
    title: Text
    audience: Text = Field(description="Who the exercise is for")
    description: Optional[LongText] = None
    ruleset: Annotated[StrictStr, Field(min_length=1, max_length=200)] = Field(
        default="iasc-2018", description="A shipped rule set name or a folder")
    baseline: Union[Annotated[StrictStr, Field(min_length=1, max_length=400)], dict[str, Any]] = Field(
        description="The scenario before the first inject: a scenario mapping, or the path of a scenario file "
                    "relative to the exercise file")
    injects: Annotated[list[Inject], Field(min_length=1, max_length=20)]

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """The exercise schema with the inline baseline described by the scenario schema."""
        schema = super().model_json_schema(*args, **kwargs)
        scenario = Scenario.model_json_schema()
        defs = schema.setdefault("$defs", {})
        defs.update(scenario.pop("$defs", {}))
        defs["Scenario"] = scenario
        schema["properties"]["baseline"] = {
            "title": "Baseline", "description": schema["properties"]["baseline"].get("description", ""),
            "anyOf": [{"type": "string", "description": "path of a scenario file, relative to the exercise"},
                      {"$ref": "#/$defs/Scenario"}]}
        return schema
