"""The domain's closed vocabularies, each value with the words readers see.

Decisions, routes, protocol variants, lifecycle steps, the five criteria and their levels are
``StrEnum``s (``IntEnum`` for levels) whose members carry their human phrases, as httpx's status
codes carry their reason phrases. Models, the rule-fact catalogue, renderers and exercises all read
them from here, so adding a decision value is one edit here plus the rules that derive it.

A member *is* its value (``Decision.RECOMMEND == "recommend"``), so it can be compared with fact
fields and written to JSON as is.
"""

from __future__ import annotations

from enum import Enum, IntEnum, StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

EnumT = TypeVar("EnumT", bound=Enum)


def _member(cls: type[EnumT], value: Any, **words: str) -> EnumT:
    """A new member of ``cls`` (a str or int enum) whose value is ``value``, carrying ``words``."""
    member = (str if issubclass(cls, str) else int).__new__(cls, value)  # type: ignore[type-var]  # cls is a str or an int enum; typeshed types the base __new__ for its own Self only
    member._value_ = value
    for name, text in words.items():
        setattr(member, name, text)
    return member


class Decision(StrEnum):
    """The Scale-Up recommendation to the Emergency Relief Coordinator.

    Attributes:
        label: the short name (``Not recommended``), for tables and legends.
        phrase: the full recommendation, starting with the label.
        today: what the criteria mean for a Scale-Up that is already active.
    """

    _value_: str
    label: str
    phrase: str
    today: str

    if not TYPE_CHECKING:  # hidden from mypy, which checks a lookup by value (Level(4)) against this signature
        def __new__(cls, value: str, label: str, phrase: str, today: str) -> "Decision":
            return _member(cls, value, label=label, phrase=phrase, today=today)

    RECOMMEND = ("recommend", "Recommend", "Recommend a System-Wide Scale-Up to the ERC",
                 "still met (a Scale-Up would be recommended today)")
    CONSIDER = ("consider", "Consider",
                "Consider: refer to the ERC for discussion (Scale-Up or accompanying measures)",
                "borderline (the case would be referred to the ERC today)")
    NOT_RECOMMENDED = ("not_recommended", "Not recommended",
                       "Not recommended: the criteria do not call for a Scale-Up", "no longer met")
    NOT_APPLICABLE = ("not_applicable", "Not applicable",
                      "Not applicable: outside the scope of the IASC Scale-Up",
                      "outside the scope of the protocol today")
    INSUFFICIENT_EVIDENCE = ("insufficient_evidence", "Insufficient evidence",
                             "Insufficient evidence to recommend either way",
                             "cannot be weighed on the evidence given")

    @property
    def headline(self) -> str:
        """The phrase with its label in capitals, as the text report leads with it."""
        return self.label.upper() + self.phrase[len(self.label):]


class _Labelled(StrEnum):
    """A value with a short ``label`` and a longer ``phrase`` (the base of the enums below)."""

    _value_: str
    label: str
    phrase: str

    if not TYPE_CHECKING:  # hidden from mypy, which checks a lookup by value (Level(4)) against this signature
        def __new__(cls, value: str, label: str, phrase: str) -> "_Labelled":
            return _member(cls, value, label=label, phrase=phrase)

    @property
    def headline(self) -> str:
        """The phrase with its label in capitals, as the text report leads with it."""
        return self.label.upper() + self.phrase[len(self.label):]


class Route(_Labelled):
    """The coordination route: who coordinates the response.

    Attributes:
        label: the short name, for tables and legends.
        phrase: the route as a sentence-length answer.
    """

    _value_: str  # for mypy: the value is the first item of each tuple below

    IASC_CLUSTERS = ("iasc_clusters", "IASC clusters", "IASC clusters, activated by the ERC")
    REFUGEE_RCM = ("refugee_rcm", "Refugee Coordination Model", "Refugee Coordination Model, led by UNHCR")
    MIXED_JOINT_NOTE = ("mixed_joint_note", "Mixed situation (Joint Note)", "Mixed situation: Joint UNHCR-OCHA Note")
    NATIONAL_LED = ("national_led", "Nationally led", "Government-led coordination, no clusters")


class Variant(_Labelled):
    """Which Scale-Up protocol applies.

    Attributes:
        label: the protocol as an answer to "which protocol applies?".
        phrase: the protocol's title, as reports cite it.
    """

    _value_: str  # for mypy: the value is the first item of each tuple below

    PROTOCOL_1_2018 = ("protocol_1_2018", "Protocol 1 (2018) System-Wide Scale-Up", "Protocol 1 (IASC, 2018)")
    INFECTIOUS_DISEASE_2019 = ("infectious_disease_2019", "Infectious-disease Scale-Up (2019 protocol)",
                               "IASC Protocol for the Control of Infectious Disease Events (2019)")


class Lifecycle(_Labelled):
    """For a Scale-Up already active: what happens to it now.

    Attributes:
        label: the step in one word.
        phrase: the step with its reason, starting with the label.
    """

    _value_: str  # for mypy: the value is the first item of each tuple below

    CONTINUE = ("continue", "Continue", "Continue within the six-month period")
    EXTEND = ("extend", "Extend", "Extend: the one exceptional three-month extension may be considered")
    DEACTIVATE = ("deactivate", "Deactivate", "Deactivate on schedule and hand over through the transition plan")
    TRANSITION = ("transition", "Transition", "Transition: no further extension under Protocol 1")


class Criterion(StrEnum):
    """The five criteria of Protocol 1, in the protocol's order.

    Attributes:
        phrase: what readers call the criterion: its level is a *gap* for capacity (5 = a very
            large gap, not strong capacity) and a *risk of failure* for risk.
    """

    _value_: str
    phrase: str

    if not TYPE_CHECKING:  # hidden from mypy, which checks a lookup by value (Level(4)) against this signature
        def __new__(cls, value: str, phrase: str) -> "Criterion":
            return _member(cls, value, phrase=phrase)

    SCALE = ("scale", "scale")
    URGENCY = ("urgency", "urgency")
    COMPLEXITY = ("complexity", "complexity")
    CAPACITY = ("capacity", "capacity gap")
    RISK = ("risk", "risk of failure")


class Level(IntEnum):
    """A criterion's level, 1 to 5.

    Attributes:
        label: the level in words (``very high``).
    """

    _value_: int
    label: str

    if not TYPE_CHECKING:  # hidden from mypy, which checks a lookup by value (Level(4)) against this signature
        def __new__(cls, value: int, label: str) -> "Level":
            return _member(cls, value, label=label)

    VERY_LOW = (1, "very low")
    LOW = (2, "low")
    MEDIUM = (3, "medium")
    HIGH = (4, "high")
    VERY_HIGH = (5, "very high")

    @property
    def numbered(self) -> str:
        """``4 - high``: the level as an answer option."""
        return f"{self.value} - {self.label}"


NO_LEVEL = "insufficient evidence"   # the label of a criterion that could not be scored

# the values as plain text, for fact catalogues, models and option lists
CRITERIA: tuple[str, ...] = tuple(m.value for m in Criterion)
DECISIONS: tuple[str, ...] = tuple(m.value for m in Decision)
ROUTES: tuple[str, ...] = tuple(m.value for m in Route)
VARIANTS: tuple[str, ...] = tuple(m.value for m in Variant)
LIFECYCLE: tuple[str, ...] = tuple(m.value for m in Lifecycle)


def level_label(level: int | None) -> str:
    """``high`` for 4; :data:`NO_LEVEL` for a criterion without a level."""
    return Level(level).label if level else NO_LEVEL
