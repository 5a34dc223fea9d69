# The two commands of the README do all the set-up: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# The Wechaty end-to-end test bed (Node): installed when its lockfile is newer than the stamp.
BED       := tests/wechaty_bed
BED_STAMP := $(BED)/node_modules/.installed-stamp

.PHONY: install run test check bench clean

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,wechaty]"
	touch $(STAMP)

# Without npm the bed is left out: its tests then skip with the reason (and fail under CI).
$(BED_STAMP): $(BED)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		cd $(BED) && npm ci --no-audit --no-fund --loglevel=error && touch $(CURDIR)/$(BED_STAMP); \
	else \
		echo "npm not found: the Wechaty end-to-end tests will be skipped (install Node.js 18+)"; \
	fi

install: $(STAMP) $(BED_STAMP)

# The playground needs only the Python install; the Node test bed is for `make test`.
run: $(STAMP)
	$(BIN)/kocbot run

test: install
	$(BIN)/python -m pytest

# Lint, format and types: CI runs this before the tests.
check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP)
	$(BIN)/python -m bench
	$(BIN)/python -m bench.outreach
	$(BIN)/python -m bench.lanes
	$(BIN)/python -m bench.ignition
	$(BIN)/python -m bench.thanks
	$(BIN)/python -m bench.wechaty
	$(BIN)/python -m bench.heavy

clean:
	rm -rf $(VENV) .pytest_cache $(BED)/node_modules
