# The README's two commands are `make report` and `make test`; each sets up .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DATA   ?= data/sample
MONTH  ?=
OUT    ?= reports

.PHONY: report test test-fast lint format bench sample clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,spark]"
	touch $(STAMP)

report: $(STAMP)
	$(BIN)/churnlab report all --data $(DATA) --out $(OUT) $(if $(MONTH),--month $(MONTH),)

test: $(STAMP) lint
	$(BIN)/pytest --doctest-modules churnlab tests

test-fast: $(STAMP)
	$(BIN)/pytest -m "not spark" --doctest-modules churnlab tests

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

sample: $(STAMP)
	$(BIN)/python -m churnlab.sample --out data/sample

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache spark-warehouse
