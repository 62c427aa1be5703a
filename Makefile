# kinabot task runner: `make help` lists the targets.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: help install build run test test-fast lint bench bench-build bench-ann load-test eval clean browser

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP):
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install kinabot (torch CPU build first)

build: install ## Build the index from corpus/ if the corpus or model changed
	$(BIN)/kinabot build

run: build ## Install, build the index if needed, and serve on http://$(HOST):$(PORT)
	$(BIN)/kinabot serve --host $(HOST) --port $(PORT)

test: install browser ## Install and run the whole test suite, slow tests included (PostgreSQL started on loopback)
	url="$$(scripts/postgres-for-tests)" && KINABOT_TEST_POSTGRES_URL="$$url" $(BIN)/pytest

browser: ## Install Debian's chromium and a CJK font for the widget's browser tests, when missing
	test -x /usr/bin/chromium -a -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc || \
		(apt-get update && apt-get install -y chromium fonts-wqy-microhei)

test-fast: install ## Run only the fast unit tests
	$(BIN)/pytest -m "not slow"

lint: install ## Lint, format check and type check
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy src

bench: install ## Latency benchmark: /api/ask over HTTP next to bare model.encode
	$(BIN)/python benchmarks/bench_api.py

bench-build: install ## Build benchmark: full build, rebuild after one change, embedding rate (bundled + 2,000 generated documents)
	$(BIN)/python benchmarks/bench_build.py

bench-ann: install ## Vector search at 100,000 and 1,000,000 synthetic vectors: exact against kinabot's approximate index (recall@10, build and query time)
	$(BIN)/python benchmarks/bench_ann.py

load-test: build ## 5,000 mixed-language questions from 50 concurrent clients, one process and two workers
	$(BIN)/python benchmarks/load_test.py

eval: build ## Retrieval figures: labelled questions (test part) and the external sets in ../shared/evaldata
	$(BIN)/kinabot eval --split test
	$(BIN)/kinabot eval --external --output build/eval-external.json --report docs/retrieval.md

clean: ## Remove built indexes (not the corpus)
	rm -rf indexes/[0-9]* indexes/CURRENT
