# Two commands on a fresh machine: `make local` runs the whole service, `make test` checks it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements-dev.txt layers/common/requirements.txt | cksum | cut -d' ' -f1)

.PHONY: help venv local test lint unit integration e2e bench events clean

help:
	@echo "make local   run the API on http://127.0.0.1:$${PORT:-3000} with AWS emulated in-process"
	@echo "make test    lint (ruff, cfn-lint + serverless rules) and run every test"
	@echo "make bench   print each handler's cold-start import ratio to boto3 and the matcher's DynamoDB cost"

$(STAMP): requirements-dev.txt layers/common/requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

venv: $(STAMP)

local: $(STAMP)
	$(BIN)/python -m local_runner

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/cfn-lint template.yaml
	$(BIN)/cfn-lint --append-rules cfn_lint_serverless.rules -- template.yaml

test: lint
	$(BIN)/python -m pytest

unit integration e2e: $(STAMP)
	$(BIN)/python -m pytest tests/$@

bench: $(STAMP)
	$(BIN)/python bench/cold_start.py
	$(BIN)/python bench/match_cost.py

# Rewrites events/ from the event builder the runner uses (the tests check they still match it).
events: $(STAMP)
	$(BIN)/python -m local_runner.sample_events

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .aws-sam
