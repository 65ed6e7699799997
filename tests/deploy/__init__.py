"""Tests of deploy/: the files operators use, checked without docker (which these machines lack)."""

from __future__ import annotations

from pathlib import Path

from spanhouse.store.cluster import ClusterTarget

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
CLUSTER_DIR = DEPLOY / "clickhouse-cluster"
# What `make cluster-ddl` renders into deploy/clickhouse-cluster/schema/, for the example cluster's config.
COMMITTED_TARGET = ClusterTarget(cluster="spanhouse", database="spanhouse")
