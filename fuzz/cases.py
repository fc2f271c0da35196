"""Fuzz cases: random scenario documents and mutations of the shipped scenarios.

Every generator takes a :class:`random.Random`. The test suite drives them through hypothesis
(``st.randoms(use_true_random=False)``, so runs are reproducible with ``derandomize=True`` and
failures shrink); the long run in :mod:`fuzz.run` uses ``random.Random(f"{seed}:{i}")``, so case
``i`` can be regenerated on its own. Both run exactly the same code:
:mod:`fuzz.scenarios` builds random scenarios from the model, :mod:`fuzz.mutations` perturbs,
serialises and mutates them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from scaleup.errors import ScaleupError
from scaleup.scenario.yamlio import parse_document

from .mutations import PWNED, dump, mutate_text, perturb
from .scenarios import random_scenario

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Case:
    """One generated document.

    Attributes:
        name: the file name shown in problems.
        fmt: ``yaml`` or ``json``.
        raw: the bytes as a user's file would hold them.
        how: what produced it (for reports).
    """

    name: str
    fmt: str
    raw: bytes
    how: str


def shipped_scenarios() -> list[Path]:
    """The scenario files shipped in ``scenarios/`` (the ones mutation fuzzing starts from)."""
    return sorted(p for p in (ROOT / "scenarios").glob("*") if p.suffix in (".yaml", ".yml", ".json"))


def scenario_case(rnd: random.Random) -> Case:
    """A random scenario, perturbed 0-3 times, serialised, sometimes mutated as text."""
    data = random_scenario(rnd)
    times = rnd.choice((0, 0, 1, 1, 2, 3))
    data, how = perturb(rnd, data, times)
    fmt, raw = dump(rnd, data)
    if rnd.random() < 0.15:
        raw, op = mutate_text(rnd, raw, fmt)
        how += f"+text:{op}"
    return Case(f"random.{fmt}", fmt, raw, how or "unperturbed")


@lru_cache(maxsize=None)
def _shipped(path: Path) -> tuple[bytes, Any]:
    """A shipped file's bytes and data (None for a broken file: only text mutations apply)."""
    raw = path.read_bytes()
    try:
        return raw, parse_document(raw, path.name).data
    except ScaleupError:
        return raw, None


def mutation_case(rnd: random.Random, path: Path) -> Case:
    """A mutation of one shipped scenario: structural (then re-serialised) or textual."""
    raw, data = _shipped(path)
    fmt = "json" if path.suffix == ".json" else "yaml"
    if data is not None and rnd.random() < 0.5:
        data, how = perturb(rnd, data, rnd.choice((1, 1, 2, 3)))
        fmt, raw = dump(rnd, data)
    else:
        ops = []
        for _ in range(rnd.choice((1, 1, 2, 3))):
            raw, op = mutate_text(rnd, raw, fmt)
            ops.append(op)
        how = "text:" + ",".join(ops)
    return Case(f"{path.stem}.{fmt}", fmt, raw, f"{path.name}:{how}")


def case_for(rnd: random.Random, shipped: list[Path]) -> Case:
    """The long run's mix: half random scenarios, half mutations of shipped ones."""
    if shipped and rnd.random() < 0.5:
        return mutation_case(rnd, rnd.choice(shipped))
    return scenario_case(rnd)


__all__ = ["PWNED", "ROOT", "Case", "case_for", "dump", "mutate_text", "mutation_case", "perturb",
           "random_scenario", "scenario_case", "shipped_scenarios"]
