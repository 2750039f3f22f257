# The two commands of the README:
#   make demo   install everything into .venv and run the main job on samples/
#   make test   install the test tools too and run lint, types and the whole suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test install system-deps lint samples

demo: install
	$(BIN)/qa batch samples --rubric rubrics/default.yaml --store out/qa.db \
		--report out/report --workers 2
	$(BIN)/qa export --format csv --store out/qa.db --out out/scores.csv

test: system-deps $(BIN)/python
	$(BIN)/pip install --quiet -e ".[all,test]"
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest

install: system-deps $(BIN)/python
	$(BIN)/pip install --quiet -e ".[all]"

system-deps:
	@scripts/install_system_deps.sh

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

samples: install
	$(BIN)/python scripts/make_samples.py
