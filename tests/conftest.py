"""Fixtures shared by several test modules."""

from __future__ import annotations

from pathlib import Path

import pytest

from scaleup.exercise.load import load_exercise

DRILL = Path(__file__).resolve().parent / "fixtures" / "exercises" / "drill.yaml"


@pytest.fixture(scope="module")
def drill():
    """The small exercise of tests/fixtures/exercises, loaded with its answer key."""
    return load_exercise(DRILL)
