# Moderation Casework — the two commands: `make run` and `make test`.
# Needs only Python 3.11, Node.js and make. Everything else is installed into .venv by uv,
# which itself is installed into .tools from PyPI and told never to download a Python.

PYTHON ?= python3.11
UV_VERSION := 0.13.8
UV := .tools/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(PYTHON)
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: help install run test test-integration test-deploy bench-ingest bench-import bench-scale bench-scale-check bench-reports-month lint check db-stop clean

help:
	@echo "make run   - install, start embedded PostgreSQL + Celery worker/beat, migrate, load demo data, serve"
	@echo "make test  - install and run the whole test suite on real PostgreSQL"

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

static/build/.built: node_modules/.installed static/src/build.mjs $(wildcard static/src/*.scss)
	npm run --silent build
	@touch $@

install: $(VENV)/.synced static/build/.built

# exec: python replaces the recipe's shell, so make's own signal forwarding reaches the supervisor
run: install
	exec $(PY) -m config.run_local

test: install
	$(PY) -m pytest -m "not integration and not deploy"; status=$$?; $(PY) -m config.localdb stop; exit $$status

# Run by .ci/run against the machine's PostgreSQL server and Redis.
test-integration: install
	$(PY) -m pytest -m integration -p no:cacheprovider --create-db

# The deploy smoke test, run by .ci/run: front end built, collectstatic and migrate with the production
# settings, gunicorn on 127.0.0.1, each role signs in and opens its pages (needs DATABASE_URL, REDIS_URL).
test-deploy: install
	$(PY) -m pytest -m deploy -p no:cacheprovider tests/deploy

# 100,000 posts through the batch API with flag rules on; prints posts/second (nothing is kept).
bench-ingest: install
	$(PY) manage.py bench_ingest --posts 100000 --batch 1000

# A generated 100,000-row CSV export through the import services; prints rows/second (nothing is kept).
bench-import: install
	$(PY) manage.py bench_import --rows 100000

# A government department's size (1M posts, 100k cases, blocks, sign-offs, appeals, events) built in
# its own database on the PostgreSQL server (DATABASE_URL or the embedded one); pages vs the admin,
# queries, and the scheduled tasks at 50,000 and 1,000,000 blocks; then gunicorn (production settings,
# 2 workers) under load on it, 20 s a page: req/s, p50, p99, errors. Figures: docs/performance.md.
bench-scale: install
	DJANGO_DEBUG=false $(PY) manage.py bench_scale
	$(PY) manage.py bench_load --database moderation_bench

# The same at about 50,000 posts, rebuilt, failing on any query or statement budget (run by .ci/run).
bench-scale-check: install
	DJANGO_DEBUG=false $(PY) manage.py bench_scale --short --rebuild --rounds 1 --task-blocks 2500,20000 --check

# The reports (issue 14) over a month of 1,000,000 posts with cases and events in proportion, built in
# its own database (moderation_bench_month; --database to choose another): p50, p95 and queries.
bench-reports-month: install
	DJANGO_DEBUG=false $(PY) manage.py bench_scale --month --skip-tasks --only reports --rounds 10

lint: install
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/hadolint Dockerfile
	$(PY) manage.py makemigrations --check --dry-run

db-stop: install
	$(PY) -m config.localdb stop
	$(PY) -m config.localredis stop

clean: db-stop
	rm -rf .local
