# The two commands of the README do all the set-up: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# The Wechaty end-to-end test bed (Node): installed when its lockfile is newer than the stamp.
BED       := tests/wechaty_bed
BED_STAMP := $(BED)/node_modules/.installed-stamp

.PHONY: install browser run test test-any-date check bench clean lock
comma := ,

# Exact versions from requirements.lock (pyproject.toml keeps the ranges); kocbot itself then goes in
# editable, without resolving again. `make lock` writes the lock anew from pyproject.toml.
EXTRAS := postgresql,charts,wechaty,dev
$(STAMP): pyproject.toml requirements.lock Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e ".[$(EXTRAS)]"
	touch $(STAMP)

lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "uv>=0.5,<1"
	$(BIN)/uv pip compile pyproject.toml $(foreach e,$(subst $(comma), ,$(EXTRAS)),--extra $(e)) \
		--python-version 3.11 --python-platform x86_64-manylinux_2_28 --quiet -o requirements.lock

# Without npm the bed is left out: its tests then skip with the reason (and fail under CI).
$(BED_STAMP): $(BED)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		cd $(BED) && npm ci --no-audit --no-fund --loglevel=error && touch $(CURDIR)/$(BED_STAMP); \
	else \
		echo "npm not found: the Wechaty end-to-end tests will be skipped (install Node.js 18+)"; \
	fi

install: $(STAMP) $(BED_STAMP)

# The web console's browser tests drive Debian's Chromium (Playwright never downloads a browser here), with a
# CJK font for the pages' Chinese. Installed when missing and run as root (as CI is); else the tests skip
# with the reason (and fail under CI).
browser:
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing Debian's chromium for the web console's browser tests"; \
		(apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null 2>&1 \
		|| (apt-get update -qq && apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null)) \
		|| echo "chromium could not be installed: the browser tests will be skipped (and fail under CI)"; \
	else \
		echo "chromium not found (install Debian's chromium package as root): the browser tests will be skipped"; \
	fi

# The playground needs only the Python install; the Node test bed is for `make test`. The web console is
# served beside it: kocbot prints its address.
run: $(STAMP)
	$(BIN)/kocbot run

# Three processes on two cores: 9½ minutes instead of 11 in two (TEST_JOBS=1: one process, in order);
# work stealing, so that a worker left with slow tests at the end hands some to the others.
TEST_JOBS ?= 3
test: install browser
	$(BIN)/python -m pytest -n $(TEST_JOBS) --dist worksteal

# The whole suite with the system clock moved by libfaketime (a test dependency): it passes on any date.
# FAKETIME="-1300d" moves it back; "@2031-02-28 15:30:00" freezes it; TESTS=tests/test_x.py runs only those.
FAKETIME ?= +1700d
test-any-date: install browser
	env $$($(BIN)/python -c 'import libfaketime; print(*(f"{k}={v}" for k, v in libfaketime.get_reload_information()[1].items()))') \
		FAKETIME="$(FAKETIME)" $(BIN)/python -m pytest -n $(TEST_JOBS) --dist worksteal $(TESTS)

# Lint, format and types: CI runs this before the tests.
check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m bench
	$(BIN)/python -m bench.outreach
	$(BIN)/python -m bench.segments
	$(BIN)/python -m bench.lanes
	$(BIN)/python -m bench.ignition
	$(BIN)/python -m bench.thanks
	$(BIN)/python -m bench.wechaty
	$(BIN)/python -m bench.heavy
	$(BIN)/python -m bench.console
	@# The KOC page in a close race: many writers, few thank-yous (the pool's short list cannot bound it).
	KOCBOT_BENCH_DB= KOCBOT_BENCH_THANKS=10000 KOCBOT_BENCH_ITEMS=1000 KOCBOT_BENCH_PAGES=/kocs $(BIN)/python -m bench.console
	$(BIN)/python -m bench.suggest
	$(BIN)/python -m bench.listening

clean:
	rm -rf $(VENV) .pytest_cache $(BED)/node_modules
