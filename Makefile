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

demo: migrate
	$(BIN)/python manage.py demo_setup --host $(HOST) --port $(PORT)
	$(BIN)/python manage.py runserver $(HOST):$(PORT) --noreload

serve: migrate
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest

test-integration: $(STAMP)
	DATABASE_URL=$(IT_DATABASE_URL) REDIS_URL=$(IT_REDIS_URL) \
		$(BIN)/python -m pytest -m "integration or browser" -p no:cacheprovider

bench: $(STAMP)
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
