# Everything a fresh Debian machine needs, installed by the project itself.
#   make demo   install everything, start the local stack, run the pipeline demo
#   make test   install everything, lint, run every test (starts the stack it needs)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEBIAN_PACKAGES := chromium chromium-headless-shell maven openjdk-17-jdk-headless

.PHONY: setup .system-packages demo test test-replicated lint helm up down status clean-data

setup: $(STAMP) .system-packages

# Debian packages: Chromium and its lighter headless shell for Playwright (never `playwright install`),
# Java 17 and Maven
# for the Kafka and Cassandra jars. Installed only when missing.
.system-packages:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages: $$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]"
	touch $(STAMP)

demo: setup
	$(BIN)/scrapestream infra up
	$(BIN)/scrapestream demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: setup lint helm
	$(BIN)/pytest

# Fault tests on the replicated stack (3 Kafka brokers, 3 Cassandra nodes; marker `replicated`, not in
# `make test`). They start that stack in a scratch directory (or reuse one `infra up --replicated`
# started) and stop what they started. Beside the running single-node stack, give the Cassandra
# nodes other addresses: SCRAPESTREAM_REPLICATED_CASSANDRA_HOSTS=127.0.1.1,127.0.1.2,127.0.1.3
test-replicated: setup
	$(BIN)/pytest -m replicated -s tests/integration/test_replicated_faults.py

# Helm for the chart checks in tests/unit/test_helm_chart.py, built from the Go module proxy into
# the cache outside git (first run only; the tests look for it at the same path).
HELM_VERSION := v3.22.0
HELM := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/scrapestream/helm/$(HELM_VERSION)/helm

helm: $(HELM)

$(HELM):
	@command -v go >/dev/null || { echo "building Helm needs Go (https://go.dev/dl/)"; exit 1; }
	GOBIN=$(dir $(HELM)) GOFLAGS=-mod=mod go install helm.sh/helm/v3/cmd/helm@$(HELM_VERSION)

up: setup
	$(BIN)/scrapestream infra up

down:
	$(BIN)/scrapestream infra down

status:
	$(BIN)/scrapestream infra status

# Removes local Kafka/Cassandra/ClickHouse data (the servers must be down).
clean-data: down
	rm -rf .scrapestream
