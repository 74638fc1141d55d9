"""The hand-off text of `scrapestream demo --keep-running` and `scrapestream run`: every address,
a usable key or where the keys are, and commands that parse as the CLI expects."""

from __future__ import annotations

import dataclasses
import shlex
from datetime import UTC, datetime

from scrapestream.cli import build_parser
from scrapestream.config import Settings
from scrapestream.demo.handoff import command_name, demo_handoff, pipeline_handoff

KEY = "demo-key_AbC123"


def demo_text() -> str:
    return demo_handoff(
        pid=4242,
        gateway_url="http://127.0.0.1:23456",
        api_key=KEY,
        prefix="demo.20261206-150000.",
        product_url="http://127.0.0.1:8601/p/1-thing",
        clock_url="http://127.0.0.1:8601/_admin/clock?advance=1",
        domains=["127.0.0.1:8601", "127.0.0.1:8602"],
        since=datetime(2026, 12, 6, 15, 0, tzinfo=UTC),
        database="scrapestream",
    )


def commands(text: str) -> list[list[str]]:
    """Each indented command line of the text, split as a shell would."""
    return [
        shlex.split(line, comments=True)
        for line in text.splitlines()
        if line.strip().startswith(("curl ", command_name() + " "))
    ]


def test_the_demo_says_where_everything_is_with_its_own_key() -> None:
    text = demo_text()
    assert "pid 4242" in text
    assert "http://127.0.0.1:23456/console" in text
    assert f"API key   {KEY}" in text
    curls = [words for words in commands(text) if words[0] == "curl"]
    assert curls[2][2:5] == ["-X", "POST", "http://127.0.0.1:23456/v1/requests"]
    assert f"Authorization: Bearer {KEY}" in curls[2]
    assert "http://127.0.0.1:23456/v1/updates" in curls[0]


def test_the_demos_scrapestream_commands_parse_with_its_topics() -> None:
    parsed = {
        words[1]: build_parser().parse_args(words[1:])
        for words in commands(demo_text())
        if words[0] != "curl"
    }
    assert parsed["publish"].topic == "demo.20261206-150000.scrape.requests"
    assert parsed["publish"].freshness == 0
    assert parsed["subscribe"].topic_prefix == "demo.20261206-150000." and parsed["subscribe"].follow
    assert "'127.0.0.1:8601', '127.0.0.1:8602'" in parsed["sql"].query
    assert "scraped_at >= '2026-12-06 15:00:00'" in parsed["sql"].query


def test_run_names_where_the_keys_are_and_never_prints_one() -> None:
    secret = "s3cret-from-the-environment"
    settings = dataclasses.replace(Settings(), gateway_api_keys=(secret, "second"), gateway_port=8800)
    text = pipeline_handoff(settings, 99, environ={"SCRAPESTREAM_GATEWAY_API_KEYS": f"{secret},second"})
    assert secret not in text and "second" not in text
    assert "$SCRAPESTREAM_GATEWAY_API_KEYS" in text
    assert "http://127.0.0.1:8800/console" in text
    curl = next(words for words in commands(text) if words[0] == "curl")
    assert "Authorization: Bearer ${SCRAPESTREAM_GATEWAY_API_KEYS%%,*}" in curl  # the shell picks the first


def test_run_with_keys_from_a_file_or_the_config_file_reads_the_key_from_the_shell(tmp_path) -> None:
    keys = tmp_path / "keys"
    settings = dataclasses.replace(
        Settings(), gateway_api_keys=("from-toml",), gateway_api_keys_file=str(keys)
    )
    text = pipeline_handoff(settings, 99, environ={})
    assert "from-toml" not in text
    assert f"the file {keys} (SCRAPESTREAM_GATEWAY_API_KEYS_FILE)" in text
    assert "[gateway]" in text and "export API_KEY=" in text
    assert "none configured" in pipeline_handoff(Settings(), 99, environ={})
