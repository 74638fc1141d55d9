"""`scrapestream publish` as a user runs it, against the real local Kafka."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from schemas.codec import Codec
from scrapestream.config import Settings
from tests.integration.request_topics import message_count, private_request_topic, read_messages

pytestmark = pytest.mark.integration


@pytest.fixture
def topic(stack: Settings) -> Iterator[str]:
    with private_request_topic(stack) as name:
        yield name


def publish(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "scrapestream.cli", "publish", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def test_a_file_with_bad_lines_sends_the_good_ones_and_reports_the_rest(
    stack: Settings, topic: str, tmp_path: Path
) -> None:
    lines = [f"https://shop.example/p/{n}" for n in range(50)]
    lines[3:3] = ["# a comment", "", "ftp://shop.example/a"]  # lines 4-6
    lines += ["ftp://shop.example/b", "shop.example/no-scheme"]  # lines 54-55
    urls = tmp_path / "urls.txt"
    urls.write_text("\n".join(lines) + "\n")

    result = publish("--file", str(urls), "--topic", topic, "--priority", "high", "--freshness", "1h")

    assert result.returncode == 0, result.stderr
    assert f"sent 50 request(s) to {topic}" in result.stdout
    assert "rejected 3; failed 0" in result.stdout
    assert "2  url: scheme 'ftp' is not http or https  (line 6, 54)" in result.stdout
    assert "1  url: no scheme" in result.stdout and "(line 55)" in result.stdout
    assert message_count(stack, topic) == 50
    codec = Codec.for_settings(stack)
    record = codec.decode("ScrapeRequest", read_messages(stack, topic, 1)[0].value())
    assert (record["priority"], record["freshness_seconds"], record["requested_by"]) == ("HIGH", 3600, "cli")


def test_failed_deliveries_exit_1(stack: Settings) -> None:
    missing = f"test.{uuid.uuid4().hex[:8]}.nowhere"
    result = publish(
        "https://shop.example/p/1", "https://shop.example/p/2", "--topic", missing, "--timeout", "2"
    )
    assert result.returncode == 1
    assert "sent 0 request(s)" in result.stdout and "failed 2" in result.stdout
    assert "failed deliveries:" in result.stdout


def test_usage_errors_exit_2() -> None:
    assert publish("--freshness", "soon", "https://shop.example/").returncode == 2
    assert publish("--file", "/nonexistent/urls.txt").returncode == 2
