"""Fuzzing scaleup's input handling: case generators (:mod:`fuzz.cases`), the outcome classifier
(:mod:`fuzz.outcome`) and the long run (:mod:`fuzz.run`). See ``fuzz/README.md``."""
