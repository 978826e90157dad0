# ContactMIS — the two set-up commands are `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# Integration suite: the real PostgreSQL and Redis of this machine (override as needed).
IT_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/contactmis_it
IT_REDIS_URL ?= redis://127.0.0.1:6379/5

.PHONY: demo test test-integration lint format worker beat bench serve migrate clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

migrate: $(STAMP)
	$(BIN)/python manage.py migrate --noinput

# The demo runs as production would: debug off, a secret key of its own generated once (kept in
# var/), static files collected and served by WhiteNoise. Plain HTTP on this machine, so the
# cookies are not HTTPS-only.
SECRET_KEY_FILE ?= var/secret_key
DEMO_ENV := DJANGO_DEBUG=false DJANGO_SECRET_KEY_FILE=$(SECRET_KEY_FILE) DJANGO_SECURE_COOKIES=false

$(SECRET_KEY_FILE): | $(BIN)/python
	mkdir -p $(dir $(SECRET_KEY_FILE))
	umask 077 && $(BIN)/python -c "import secrets; print(secrets.token_urlsafe(50))" > $@

demo: migrate $(SECRET_KEY_FILE)
	$(DEMO_ENV) $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(DEMO_ENV) $(BIN)/python manage.py demo_setup --host $(HOST) --port $(PORT)
	$(DEMO_ENV) CONTACTMIS_DEMO_LIVE=1 $(BIN)/python manage.py runserver $(HOST):$(PORT) --noreload

serve: migrate
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest -n auto --dist loadfile

test-integration: $(STAMP)
	DATABASE_URL=$(IT_DATABASE_URL) REDIS_URL=$(IT_REDIS_URL) \
		$(BIN)/python -m pytest -m "integration or browser" -p no:cacheprovider

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	$(BIN)/python -m pytest tests/benchmarks -m benchmark -s -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python manage.py makemigrations --check --dry-run

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

worker: $(STAMP)
	$(BIN)/celery -A contactmis worker --loglevel=INFO

beat: $(STAMP)
	$(BIN)/celery -A contactmis beat --loglevel=INFO

clean:
	rm -rf $(VENV) var .pytest_cache
