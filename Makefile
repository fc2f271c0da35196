# `make run` and `make test` do all the setup they need: a .venv is created on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; sys.exit(0 if (3, 11) <= v < (3, 13) else "scaleup needs Python 3.11 or 3.12 (durable-rules fails to import on 3.13); set PYTHON=python3.12")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/scaleup batch scenarios/ --check -f table

test: $(STAMP)
	$(BIN)/python -m pytest --cov=scaleup --cov-report=term --cov-fail-under=90

clean:
	rm -rf $(VENV) .pytest_cache .coverage htmlcov
