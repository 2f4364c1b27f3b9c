# Two commands for a newcomer: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export FLASK_APP := app

.PHONY: run test e2e install install-browser lint check-migrations translations clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python requirements.txt requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

MO := app/translations/zh/LC_MESSAGES/messages.mo

# Compiled only when the catalog changed, so two suites can start side by side.
$(MO): app/translations/zh/LC_MESSAGES/messages.po $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy -d app/translations -f --statistics 2>&1 | tail -1

translations: $(MO)

install: $(VENV)/.installed translations

run: install
	$(BIN)/python -m app.devserver

# The browser journeys need Debian's chromium (and a CJK font for readable
# screenshots); installed when missing and apt-get is at hand. Without it the
# browser tests are skipped, saying why.
install-browser:
	@if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing chromium (apt)"; \
		(apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null 2>&1 || \
		 (apt-get update -qq >/dev/null 2>&1 && \
		  apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null 2>&1)) || \
		echo "chromium could not be installed: browser tests will be skipped"; \
	fi

# TEST_WORKERS=N shares test files out to N processes (pytest-xdist), each
# with its own databases and Redis database. One process by default: CI runs
# the SQLite and PostgreSQL suites side by side on two cores already, and more
# processes there only made the browser journeys wait on each other.
TEST_WORKERS ?= 0

test: install install-browser
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# Only the browser journeys and the form crawler.
e2e: install install-browser
	$(BIN)/python -m pytest -m browser $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .

# The app refuses to start without a signing key: use the one `make run` keeps.
check-migrations: install
	SECRET_KEY="$${SECRET_KEY:-$$($(BIN)/python -c 'from pathlib import Path; from app.devserver import instance_secret_key; print(instance_secret_key(Path("instance")))')}" $(BIN)/flask db check

clean:
	rm -rf $(VENV) instance/app.db
