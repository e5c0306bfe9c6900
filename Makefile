# The two commands of the README: `make demo` and `make test`. Everything else is a step of theirs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
TRANSLATIONS := portal/translations

.PHONY: demo test lint translations extract-messages serve clean browser

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@

translations: $(STAMP)
	$(BIN)/pybabel compile --statistics -d $(TRANSLATIONS)

# Refresh the catalogues after changing user-facing strings; then translate and commit the .po files.
extract-messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --no-fuzzy-matching

demo: $(STAMP) translations
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/flask --app wsgi tenants sync
	@echo "Demo accounts (passwords are shown once; they are not stored anywhere readable):"
	$(BIN)/flask --app wsgi demo seed
	$(BIN)/flask --app wsgi run --host 127.0.0.1 --port 5000

# The browser tests drive Debian's Chromium (Playwright's own browser downloads are not used).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && $$SUDO apt-get install -y -q chromium fonts-liberation; }

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/bandit -q -c pyproject.toml -r portal tenants blueprints workers

# Each pass keeps its scratch files (the SQLite database among them) in a folder of its own: pytest's
# shared temporary folders are pruned by any other pytest started meanwhile on the machine.
# Two passes: the embedded default (SQLite, in-memory counters, jobs in-process), then the real
# services (PostgreSQL with row-level security, Redis, rq workers, an S3 server on loopback).
test: $(STAMP) translations lint browser
	eval "$$($(BIN)/python tests/services.py)" && \
	echo "=== SQLite pass (embedded default) ===" && \
	PORTAL_REQUIRE_BROWSER=1 PORTAL_TEST_DB=sqlite $(BIN)/python -m pytest -q -p no:cacheprovider \
	  --basetemp="$$(mktemp -d)" && \
	echo "=== PostgreSQL pass (row-level security, Redis, rq workers, S3) ===" && \
	PORTAL_REQUIRE_BROWSER=1 PORTAL_TEST_DB=postgresql $(BIN)/python -m pytest -q -p no:cacheprovider \
	  --basetemp="$$(mktemp -d)"

# Not a test (never part of `make test`): DESIGN §14's measurements on generated city-scale data,
# each a ratio taken in one run and printed beside its goal — the returnee list page under gunicorn
# against a bare Flask endpoint (wrk, 8 clients), with and without row-level security; the city
# roll-up against hand-written SQL and the worker's peak memory at two sizes; statements per request
# at 10 and 1,000 rows. Needs the PostgreSQL of BENCH_ADMIN_URL (default postgres@127.0.0.1:5432);
# the databases are generated once (2 minutes on a quiet machine, 15 on a busy one) and kept.
# See bench/README.md.
.PHONY: bench
bench: $(STAMP)
	@command -v wrk >/dev/null 2>&1 || { \
	  echo "Installing wrk for the web benchmark"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && $$SUDO apt-get install -y -q wrk; }
	$(BIN)/python bench/generate.py --database portal_bench_10k --returnees 10000 --if-missing
	$(BIN)/python bench/generate.py --database portal_bench --returnees 100000 --if-missing
	$(BIN)/python bench/rollup.py --database portal_bench --memory portal_bench_10k,portal_bench
	$(BIN)/python bench/web.py --database portal_bench --small-database portal_bench_10k

clean:
	rm -rf $(VENV) instance
