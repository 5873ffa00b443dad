# Warden: `make run` sets up and serves on embedded defaults; `make test` sets up and runs the tests.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
export LITELLM_LOCAL_MODEL_COST_MAP := True
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install run test lock bench clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	@if grep -Eq '^litellm==1\.82\.(7|8)$$' requirements.lock; then echo "compromised litellm release pinned"; exit 1; fi
	touch $@

run: install
	$(BIN)/warden serve

# Two worker processes (pytest-xdist), a test file to one worker: most of the suite waits on sockets, servers and
# subprocesses, so two workers cut the wall time even on two cores. TEST_WORKERS=0 runs in this process alone.
TEST_WORKERS ?= 2

test: install
	$(BIN)/python -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist loadfile

lock: install
	$(BIN)/pip freeze --exclude-editable | grep -viE '^(ruff)==' > requirements.lock.new
	{ head -2 requirements.lock; cat requirements.lock.new; } > requirements.lock.tmp && mv requirements.lock.tmp requirements.lock
	rm -f requirements.lock.new

bench: install
	$(BIN)/python bench/gateway_bench.py

clean:
	rm -rf $(VENV) .pytest_cache var warden.db warden.db-*
