# Two entry points: `make demo` runs the main job on the embedded sandbox, `make test` runs
# every check. Both create the virtual environment in .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint clean

$(STAMP): pyproject.toml adapters/servicenow/pyproject.toml adapters/jsm/pyproject.toml adapters/topdesk/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]' -e adapters/servicenow -e adapters/jsm -e adapters/topdesk
	touch $(STAMP)

REFERENCE := blueprints/usm-reference.yaml

# The same blueprint on the three embedded sandboxes: plan, apply, prove convergence. ServiceNow
# can write everything, so its last plan is empty (--detailed-exitcode exits 0); JSM's public API
# cannot write queues, SLAs, calendars or automation, so its last plan lists those manual steps;
# TOPdesk's API writes little of it, so its last plan is mostly the checklist, counted per kind.
demo: $(STAMP)
	$(BIN)/usm-config validate $(REFERENCE)
	$(BIN)/usm-config sandbox reset $(REFERENCE) --target sandbox
	$(BIN)/usm-config apply $(REFERENCE) --target sandbox --auto-approve -o summary
	$(BIN)/usm-config plan $(REFERENCE) --target sandbox --detailed-exitcode -o summary
	$(BIN)/usm-config sandbox reset $(REFERENCE) --target sandbox-jsm
	$(BIN)/usm-config apply $(REFERENCE) --target sandbox-jsm --auto-approve -o summary
	$(BIN)/usm-config plan $(REFERENCE) --target sandbox-jsm -o summary
	$(BIN)/usm-config sandbox reset $(REFERENCE) --target sandbox-topdesk
	$(BIN)/usm-config apply $(REFERENCE) --target sandbox-topdesk --auto-approve -o summary
	$(BIN)/usm-config plan $(REFERENCE) --target sandbox-topdesk -o summary

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict usm_config adapters/servicenow/usm_servicenow adapters/jsm/usm_jsm adapters/topdesk/usm_topdesk benchmarks

test: lint
	$(BIN)/pytest

clean:
	rm -rf $(VENV) .usm-sandbox .pytest_cache .mypy_cache .ruff_cache
