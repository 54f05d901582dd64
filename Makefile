# Touchstone: `make run` and `make test` are the two commands; the rest are helpers.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
# `make run` needs only what running needs; the developer tools (tests, browsers' driver,
# linters) come with the first `make test`, which installs the rest into the same .venv.
RUN_STAMP := $(VENV)/.installed

.PHONY: run test test-fast test-dates lint fmt typecheck pytest pytest-fast bench clean messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -c constraints.txt -e .
	touch $(RUN_STAMP)

$(STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP) $(RUN_STAMP)

run: $(RUN_STAMP)
	DEV_MODE=1 $(BIN)/touchstone demo --if-empty
	DEV_MODE=1 $(BIN)/touchstone serve --host 127.0.0.1 --port 8000

test: $(STAMP) lint typecheck pytest

# The quick loop while working: the same gates, the tests without a browser and without
# those marked slow. `make test` stays the whole suite.
test-fast: $(STAMP) lint typecheck pytest-fast

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

fmt: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest -n 2 -q

# The date-sensitive tests (the demo's year, recovery windows, reports, alerts, retention,
# measures and action items) with the whole process moved by time-machine to moments where
# "today" is easy to get wrong: just after the clocks go forward in Europe/London (the test
# organizations' zone), a leap day, and late on 31 December.
DATE_TESTS := tests/recovery tests/reports tests/audits/test_demo.py tests/touchpoints/test_measures.py tests/touchpoints/test_actions.py tests/app/test_clock.py
DATES := 2027-03-28T01:30:00+00:00 2028-02-29T12:00:00+00:00 2026-12-31T23:30:00+00:00

test-dates: $(STAMP)
	@set -e; for when in $(DATES); do \
	  echo "== date-sensitive tests at $$when"; \
	  TOUCHSTONE_FAKE_NOW=$$when $(BIN)/pytest -n 2 -q -m "not browser" $(DATE_TESTS); \
	done

pytest-fast: $(STAMP)
	$(BIN)/pytest -n 2 -q -m "not browser and not slow"

bench: $(STAMP)
	$(BIN)/python bench/sqlite_writers.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# The interface's words (docs/development.md, "Languages"): extract what the code marks into
# app/locale/messages.pot and bring each language's catalog up to date with it; then
# translate what is new in app/locale/<lang>/LC_MESSAGES/messages.po. No compile step: the
# app reads the .po files.
LOCALES := en es
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg --sort-by-file --no-wrap --add-location=file --omit-header -o app/locale/messages.pot .
	@set -e; for lang in $(LOCALES); do \
	  if [ -f app/locale/$$lang/LC_MESSAGES/messages.po ]; then \
	    $(BIN)/pybabel update --no-wrap --ignore-obsolete -i app/locale/messages.pot -d app/locale -l $$lang; \
	  else \
	    $(BIN)/pybabel init -i app/locale/messages.pot -d app/locale -l $$lang; \
	  fi; \
	done
