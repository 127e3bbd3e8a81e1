# claims — `make` lists the targets.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.DEFAULT_GOAL := help

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

install: ## create .venv and install claims (torch 2.13.0 CPU first, then the rest)
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev]'

demo: ## the main job: compare a bundled multi-outlet case and print its fact sheets
	$(BIN)/claims compare fixtures/cases/kuruzan-border-clash/documents.jsonl --format markdown

test: ## run the test suite
	$(BIN)/python -m pytest -q

lint: ## ruff and mypy (strict)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check claims api tests benchmarks
	$(BIN)/mypy

bench: ## run the benchmarks (ratios against baselines measured in the same run)
	$(BIN)/python -m pytest benchmarks --benchmark-only --benchmark-enable -q

eval: ## all quality evaluations (EVAL=../shared/eval)
	$(BIN)/claims eval attribution $(or $(EVAL),../shared/eval)/polnear --split held-out
	$(BIN)/claims eval attribution $(or $(EVAL),../shared/eval)/polnear --agreement
	$(BIN)/claims eval incidents $(or $(EVAL),../shared/eval)/ecbplus --split test
	$(BIN)/claims eval incidents $(or $(EVAL),../shared/eval)/ecbplus
	$(BIN)/claims eval incidents $(or $(EVAL),../shared/eval)/newswcl50
	$(BIN)/claims eval incidents $(or $(EVAL),../shared/eval)/basil
	$(BIN)/claims eval conflicts $(or $(EVAL),../shared/eval)/emergent/emergent.csv --fnc1 $(or $(EVAL),../shared/eval)/fnc1 --climate-fever $(or $(EVAL),../shared/eval)/climate_fever
	$(BIN)/claims eval matching $(or $(EVAL),../shared/eval)/checkthat2020_task2 --split all

.PHONY: help install demo test lint bench eval
