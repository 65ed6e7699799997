"""The docker-compose files, the Dockerfile and the cluster's XML configuration agree with each other.

Docker is not available here, so nothing is started: the files are parsed (PyYAML comes with
uvicorn[standard]) and cross-checked, which catches what usually breaks a compose file: a wrong
service name in a DSN, a mounted file that moved, an unpinned image, macros that do not match
the cluster they claim to be part of.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml

from tests.deploy import CLUSTER_DIR, COMMITTED_TARGET, DEPLOY, ROOT

SINGLE = DEPLOY / "docker-compose.yml"
CLUSTER = CLUSTER_DIR / "docker-compose.yml"
PINNED = re.compile(r"^clickhouse/clickhouse-(server|keeper):\d+\.\d+\.\d+\.\d+(-alpine)?$")


def compose(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def xml(name: str) -> ET.Element:
    return ET.parse(CLUSTER_DIR / "config" / name).getroot()


@pytest.mark.parametrize("path", [SINGLE, CLUSTER], ids=["single", "cluster"])
def test_every_image_is_pinned_and_every_long_running_service_has_a_healthcheck(path):
    services = compose(path)["services"]
    for name, service in services.items():
        if "build" in service:
            assert service["image"] == "spanhouse:local", name
        else:
            assert PINNED.match(service["image"]), (name, service["image"])
        if service.get("restart") != "no":
            assert service["healthcheck"]["test"], name


@pytest.mark.parametrize("path", [SINGLE, CLUSTER], ids=["single", "cluster"])
def test_spanhouse_is_built_from_the_repository_and_reaches_clickhouse_by_service_name(path):
    services = compose(path)["services"]
    spanhouse = services["spanhouse"]
    context = (path.parent / spanhouse["build"]["context"]).resolve()
    assert context == ROOT and (context / spanhouse["build"]["dockerfile"]).is_file()
    dsn = urlparse(spanhouse["environment"]["SPANHOUSE_CLICKHOUSE_DSN"])
    assert (dsn.scheme, dsn.port, dsn.username) == ("http", 8123, "spanhouse")
    assert services[dsn.hostname]["image"].startswith("clickhouse/clickhouse-server:")
    assert spanhouse["environment"]["SPANHOUSE_BIND"] == "0.0.0.0"
    assert spanhouse["ports"] == ["4317:4317", "4318:4318", "8318:8318"]
    assert all(condition["condition"] in ("service_healthy", "service_completed_successfully")
               for condition in spanhouse["depends_on"].values())


@pytest.mark.parametrize("path", [SINGLE, CLUSTER], ids=["single", "cluster"])
def test_every_mounted_file_exists_and_every_named_volume_is_declared(path):
    document = compose(path)
    for name, service in document["services"].items():
        for mount in service.get("volumes", []):
            source = mount.split(":")[0]
            if source.startswith("."):
                assert (path.parent / source).exists(), (name, source)
            else:
                assert source in document["volumes"], (name, source)


def test_the_cluster_has_two_shards_of_one_replica_each_with_internal_replication():
    cluster = xml("cluster.xml").find(f"remote_servers/{COMMITTED_TARGET.cluster}")
    assert cluster is not None, "the remote_servers cluster must be the one the committed schema names"
    shards = [(shard.findtext("internal_replication"), [r.findtext("host") for r in shard.findall("replica")])
              for shard in cluster.findall("shard")]
    assert shards == [("true", ["clickhouse-01"]), ("true", ["clickhouse-02"])]
    assert cluster.find("secret").get("from_env") == "CLICKHOUSE_CLUSTER_SECRET"


def test_each_server_mounts_macros_naming_its_own_shard_and_a_cluster_wide_unique_replica():
    services = compose(CLUSTER)["services"]
    seen = []
    for host in ("clickhouse-01", "clickhouse-02"):
        service = services[host]
        assert service["hostname"] == host
        mounts = dict(m.rsplit(":", 1)[0].split(":") for m in service["volumes"] if m.startswith("./"))
        assert mounts["./config/cluster.xml"] == "/etc/clickhouse-server/config.d/cluster.xml"
        assert mounts["./config/users.xml"] == "/etc/clickhouse-server/users.d/spanhouse.xml"
        macros_file = next(source for source, target in mounts.items() if target.endswith("config.d/macros.xml"))
        macros = ET.parse(CLUSTER_DIR / macros_file).getroot().find("macros")
        seen.append({child.tag: child.text for child in macros})
    assert seen == [{"cluster": "spanhouse", "shard": "01", "replica": "clickhouse-01"},
                    {"cluster": "spanhouse", "shard": "02", "replica": "clickhouse-02"}]


def test_the_servers_find_keeper_where_it_listens():
    node = xml("cluster.xml").find("zookeeper/node")
    keeper = xml("keeper.xml").find("keeper_server")
    assert (node.findtext("host"), node.findtext("port")) == ("keeper", keeper.findtext("tcp_port"))
    assert keeper.findtext("raft_configuration/server/hostname") == compose(CLUSTER)["services"]["keeper"]["hostname"]
    assert compose(CLUSTER)["services"]["keeper"]["volumes"][0] == \
        "./config/keeper.xml:/etc/clickhouse-keeper/keeper_config.xml:ro"


def test_the_spanhouse_user_waits_for_every_shard_and_gets_its_password_from_the_environment():
    users = xml("users.xml")
    assert users.findtext("profiles/spanhouse/distributed_foreground_insert") == "1"
    assert users.findtext("profiles/spanhouse/distributed_product_mode") == "global"
    assert users.find("users/spanhouse/password").get("from_env") == "SPANHOUSE_CLICKHOUSE_PASSWORD"
    services = compose(CLUSTER)["services"]
    for name in ("clickhouse-01", "clickhouse-02", "schema"):
        assert "SPANHOUSE_CLICKHOUSE_PASSWORD" in services[name]["environment"], name


def test_the_schema_service_applies_the_committed_files_in_order_on_one_server():
    schema = compose(CLUSTER)["services"]["schema"]
    assert schema["volumes"] == ["./schema:/schema:ro"]
    script = schema["entrypoint"][-1]
    assert "for file in /schema/*.sql" in script and "--host clickhouse-01" in script
    assert sorted(p.name for p in (CLUSTER_DIR / "schema").glob("*.sql"))[0] == "0000_schema_migrations.sql"


def test_the_dockerfile_copies_only_what_exists_and_its_ignore_file_lets_through():
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    copied = [source for line in re.findall(r"^COPY (?!--from)(.*)$", dockerfile, re.MULTILINE)
              for source in line.split()[:-1]]
    assert copied == ["pyproject.toml", "README.md", "src"]
    assert all((ROOT / source).exists() for source in copied)
    allowed = {line[1:].rstrip("/") for line in (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
               if line.startswith("!")}
    assert allowed == set(copied)
    assert re.findall(r"^FROM (\S+)", dockerfile, re.MULTILINE) == ["python:3.11-slim-bookworm"] * 2
    assert "EXPOSE 4317 4318 8318" in dockerfile
