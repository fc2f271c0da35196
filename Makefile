# `make run` and `make test` do all the setup they need: a .venv is created on first use.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run history test clean

# durable-rules 2.0.28 (its last release) has no wheels: pip compiles its C extension, which calls
# PyEval_CallObject, removed in Python 3.13. PyObject_CallObject is the same call on every version,
# so it is built with that define first (CPPFLAGS: its setup.py overwrites CFLAGS), from source
# (--no-binary) and without pip's wheel cache (--no-cache-dir: a wheel cached from a build without
# the define would be reused); `pip install -e` then finds the pinned version already installed.
DURABLE := durable-rules==2.0.28

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; sys.exit(0 if (3, 11) <= v < (3, 14) else "scaleup needs Python 3.11, 3.12 or 3.13; set PYTHON=python3.13 (or python3.12, python3.11)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	CPPFLAGS="$$CPPFLAGS -DPyEval_CallObject=PyObject_CallObject" \
	  $(BIN)/python -m pip install -q --no-cache-dir --no-binary durable-rules '$(DURABLE)'
	$(BIN)/python -m pip install -q -e '.[test]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/scaleup batch scenarios/ scenarios/sheets/hdx-crises.csv --check -f table

# The historical validation set (docs/history.md): real crises decided before 2019 against what
# was decided. Prints the table, the batch summary and one agreement line; fails like `run` when
# a case disagrees with the record without a documented expect.disagreement (or a note is stale).
history: $(STAMP)
	@log=$$(mktemp); $(BIN)/scaleup batch scenarios/history/ --check -f table 2>$$log; status=$$?; \
	cat $$log >&2; \
	total=$$(ls scenarios/history/*.yaml | wc -l); \
	unexplained=$$(grep -E '^mismatch: [^ ]+: (scale_up|route):' $$log | cut -d' ' -f2 | sort -u | wc -l); \
	stale=$$(grep -E '^mismatch: [^ ]+: disagreement:' $$log | cut -d' ' -f2 | sort -u | wc -l); \
	notes=$$(grep -lE '^  disagreement:' scenarios/history/*.yaml | wc -l); \
	documented=$$((notes - stale)); \
	echo "history agreement: $$((total - unexplained - documented)) of $$total cases agree with the record on decision and route; $$documented documented disagreements; $$unexplained unexplained; $$stale stale notes"; \
	rm -f $$log; exit $$status

# the lint and type gates first (ruff's rule set and mypy's flags are in pyproject.toml), then the suite with coverage
test: $(STAMP)
	$(BIN)/ruff check scaleup tests
	$(BIN)/mypy
	$(BIN)/python -m pytest --cov=scaleup --cov-report=term --cov-fail-under=90

clean:
	rm -rf $(VENV) .pytest_cache .coverage htmlcov
