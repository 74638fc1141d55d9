"""`infra up/status/down` on a second, private Kafka: idempotent start, clean stop, clear errors."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from scrapestream.config import Settings, load_settings
from scrapestream.infra.kafka_server import KafkaService
from scrapestream.infra.service_process import InfraError, free_port

pytestmark = pytest.mark.integration


@pytest.fixture
def private_kafka(tmp_path: Path, stack: Settings) -> Iterator[KafkaService]:
    """A Kafka of its own (own data dir and ports) so stopping it cannot disturb the shared stack."""
    settings = load_settings(
        {
            "SCRAPESTREAM_DATA_DIR": str(tmp_path),
            "SCRAPESTREAM_CACHE_DIR": str(stack.cache_dir),
            "SCRAPESTREAM_KAFKA_BOOTSTRAP": f"127.0.0.1:{free_port()}",
            "SCRAPESTREAM_KAFKA_CONTROLLER_PORT": str(free_port()),
            "SCRAPESTREAM_KAFKA_HEAP_MB": "256",
        }
    )
    service = KafkaService(settings)
    yield service
    service.stop()


def test_kafka_starts_answers_and_stops_leaving_no_process(private_kafka: KafkaService) -> None:
    process = private_kafka.start()
    assert "1 broker(s)" in private_kafka.wait_ready(process)
    assert private_kafka.pids() == [process.pid]

    stopped = private_kafka.stop()
    assert stopped == [process.pid]
    assert private_kafka.pids() == []
    process.wait(timeout=5)
    with pytest.raises(Exception, match="no Kafka broker answers"):
        private_kafka.probe()


def test_a_port_in_use_is_named_in_the_error(private_kafka: KafkaService) -> None:
    host, port = private_kafka.ports()["kafka_bootstrap"]
    with socket.socket() as squatter:
        squatter.bind((host, port))
        squatter.listen()
        with pytest.raises(InfraError, match=rf"port {port} .* already in use.*SCRAPESTREAM_KAFKA_BOOTSTRAP"):
            private_kafka.start()
    assert private_kafka.pids() == []


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scrapestream.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_status_reports_every_component_healthy_and_up_is_idempotent(stack: Settings) -> None:
    env = {"PATH": "/usr/bin:/bin", "SCRAPESTREAM_CLICKHOUSE_URL": stack.clickhouse_url}
    for command in (("infra", "up"), ("infra", "status")):
        result = _cli(*command, env=env)
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        assert [line.split()[:2] for line in lines] == [
            ["kafka", "healthy"],
            ["cassandra", "healthy"],
            ["clickhouse", "healthy"],
        ]
        assert "starting" not in result.stderr  # nothing was started twice


def test_bad_configuration_gives_one_line_naming_the_cause() -> None:
    result = _cli("infra", "status", env={"SCRAPESTREAM_CLICKHOUSE_URL": "clickhouse-server"})
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "SCRAPESTREAM_CLICKHOUSE_URL" in result.stderr


def test_an_unreachable_broker_is_reported_by_address(stack: Settings) -> None:
    env = {
        "SCRAPESTREAM_KAFKA_BOOTSTRAP": f"127.0.0.1:{free_port()}",
        "SCRAPESTREAM_CLICKHOUSE_URL": stack.clickhouse_url,
    }
    result = _cli("infra", "status", env=env)
    assert result.returncode == 1
    assert "no Kafka broker answers at 127.0.0.1:" in result.stdout


@pytest.mark.parametrize(
    ("command", "service"),
    [
        (("lag",), "no Kafka broker answers at 127.0.0.1:"),
        (("dlq", "list"), "no Kafka broker answers"),
        (("topics", "check"), "no Kafka broker answers"),
    ],
)
def test_user_commands_name_the_unreachable_service_in_one_line(
    command: tuple[str, ...], service: str
) -> None:
    unreachable = f"127.0.0.1:{free_port()}"
    env = {**os.environ, "SCRAPESTREAM_KAFKA_BOOTSTRAP": unreachable}
    result = _cli(*command, env=env)
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0, result.stderr  # one line, no traceback
    assert service in result.stderr, result.stderr
