# Two entry points: `make demo` runs the main job on the embedded sandbox, `make test` runs
# every check. Both create the virtual environment in .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint clean

$(STAMP): pyproject.toml adapters/servicenow/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]' -e adapters/servicenow
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/usm-config validate blueprints/usm-reference.yaml
	$(BIN)/usm-config show blueprints/usm-reference.yaml

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy usm_config adapters/servicenow/usm_servicenow

test: lint
	$(BIN)/pytest

clean:
	rm -rf $(VENV) .usm-sandbox .pytest_cache .mypy_cache .ruff_cache
