# The README's two commands are `make report` and `make test`; each sets up .venv
# first, installing exactly the versions pinned in requirements/lock.txt (uv when
# it is on PATH, pip otherwise). `make lock` refreshes the lock from pyproject.toml.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LABSTAMP := $(VENV)/.installed-lab
LOCK   := requirements/lock.txt
LABLOCK := requirements/lock-lab.txt
DATA   ?=
MONTH  ?=
OUT    ?= reports
UV     := $(shell command -v uv 2>/dev/null)

.PHONY: report test test-fast lint format bench sample clean lock lock-check lab

# install(lockfile): the venv holds exactly the lock, plus churnlab itself (editable)
ifdef UV
define install
	$(UV) pip sync --quiet --python $(BIN)/python $(1)
	$(UV) pip install --quiet --python $(BIN)/python --no-deps -e .
endef
else
define install
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r $(1)
	$(BIN)/python -m pip install --quiet --no-deps -e .
endef
endif

$(STAMP): $(LOCK) pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(call install,$(LOCK))
	rm -f $(LABSTAMP)
	touch $(STAMP)

$(LABSTAMP): $(LABLOCK) $(STAMP)
	$(call install,$(LABLOCK))
	touch $(LABSTAMP)

report: $(STAMP)
	$(BIN)/churnlab report all --out $(OUT) $(if $(DATA),--data $(DATA),) $(if $(MONTH),--month $(MONTH),)

test: $(STAMP) lock-check lint
	$(BIN)/pytest --doctest-modules churnlab tests

test-fast: $(STAMP)
	$(BIN)/pytest -m "not spark and not slow" --doctest-modules churnlab tests

lab: $(LABSTAMP)
	$(BIN)/python -m ipykernel install --sys-prefix --name churnlab --display-name "churnlab (.venv)"
	$(BIN)/jupyter lab --notebook-dir=notebooks

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# the lock must satisfy pyproject.toml; fails with the command that fixes it
lock-check: $(STAMP)
	$(BIN)/python requirements/check_lock.py

lock:
	uv pip compile pyproject.toml --extra dev --extra spark --extra clv --universal --python-version 3.11 -o $(LOCK)
	uv pip compile pyproject.toml --extra dev --extra spark --extra clv --extra lab --universal --python-version 3.11 -c $(LOCK) -o $(LABLOCK)

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

sample: $(STAMP)
	$(BIN)/python -m churnlab.sample --out churnlab/sample/data

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache spark-warehouse
