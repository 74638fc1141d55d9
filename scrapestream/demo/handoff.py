"""Where a running pipeline can be reached, and commands to copy and paste: the text `scrapestream
demo --keep-running` prints when it hands over, and `scrapestream run` when it starts.

The demo's API key is its own, generated for the run, so it is printed. `run` never prints a key:
those come from the user's configuration, so it names where they are and the commands read the
key from the shell (the first of SCRAPESTREAM_GATEWAY_API_KEYS when that is set, else $API_KEY).
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from datetime import datetime
from pathlib import Path

from scrapestream.config import Settings
from scrapestream.topics import TopicNames

KEYS_ENV = "SCRAPESTREAM_GATEWAY_API_KEYS"
KEYS_FILE_ENV = "SCRAPESTREAM_GATEWAY_API_KEYS_FILE"
FIRST_ENV_KEY = "${" + KEYS_ENV + "%%,*}"  # in the shell: the variable's first comma-separated key


def command_name() -> str:
    """How to call `scrapestream` from here: the venv's script (relative when under the working
    directory, as in the README), else the name on PATH."""
    script = Path(sys.executable).with_name("scrapestream")
    if not script.exists():
        return "scrapestream"
    try:
        return str(script.relative_to(Path.cwd()))
    except ValueError:
        return str(script)


def shell_quoted(text: str) -> str:
    """`text` as one shell word: in double quotes when nothing in it is special there (SQL with its
    single quotes reads better so), else as shlex quotes it."""
    if not any(char in text for char in '"$`\\!'):
        return f'"{text}"'
    return shlex.quote(text)


def demo_handoff(
    *,
    pid: int,
    gateway_url: str,
    api_key: str,
    prefix: str,
    product_url: str,
    clock_url: str,
    domains: list[str],
    since: datetime,
    database: str,
) -> str:
    """The demo's hand-off: every address, its generated key, and commands on its own topics."""
    scrapestream = command_name()
    names = TopicNames.prefixed(prefix)
    auth = shlex.quote(f"Authorization: Bearer {api_key}")
    body = shlex.quote(json.dumps({"url": product_url, "freshness_seconds": 0, "priority": "HIGH"}))
    in_domains = ", ".join(f"'{domain}'" for domain in domains)
    query = (
        f"SELECT domain, count() AS results, countIf(status = 'OK') AS ok, "
        f"countIf(render_ms > 0) AS rendered, round(quantile(0.95)(fetch_ms + render_ms)) AS p95_ms "
        f"FROM {database}.scrape_events FINAL WHERE domain IN ({in_domains}) "
        f"AND scraped_at >= '{since:%Y-%m-%d %H:%M:%S}' GROUP BY domain ORDER BY domain"
    )
    return "\n".join(
        [
            f"==> pipeline keeps running; Ctrl-C, or SIGINT/SIGTERM to pid {pid}, stops every process",
            f"    console   {gateway_url}/console  (it asks for the API key)",
            f"    gateway   {gateway_url}",
            f"    API key   {api_key}  (generated for this demo run)",
            f"    topics    {prefix}*",
            "  subscribe (in another terminal; Server-Sent Events, or one line per update):",
            f"    curl -sS -N {gateway_url}/v1/updates -H {auth}",
            f"    {scrapestream} subscribe --topic-prefix {prefix} --follow",
            "  publish (the first command moves the shop's prices on; products that changed show above):",
            f"    curl -sS -X POST {shlex.quote(clock_url)}",
            f"    curl -sS -X POST {gateway_url}/v1/requests -H {auth} "
            f"-H 'Content-Type: application/json' -d {body}",
            f"    {scrapestream} publish --topic {names.requests} --priority high --freshness 0s "
            f"{shlex.quote(product_url)}",
            "  sql (this run's results in ClickHouse):",
            f"    {scrapestream} sql {shell_quoted(query)}",
        ]
    )


def pipeline_handoff(settings: Settings, pid: int, environ: dict[str, str] | None = None) -> str:
    """`scrapestream run`'s hand-off: the configured gateway, where its keys are, never a key."""
    environ = os.environ if environ is None else environ
    scrapestream = command_name()
    host = settings.gateway_host if settings.gateway_host not in ("", "0.0.0.0", "::") else "127.0.0.1"
    gateway_url = f"http://{host}:{settings.gateway_port}"
    sources = []
    if environ.get(KEYS_ENV):
        sources.append(f"${KEYS_ENV} (comma-separated)")
    elif settings.gateway_api_keys:
        sources.append(
            "api_keys under [gateway] in the configuration file (SCRAPESTREAM_CONFIG or ./scrapestream.toml)"
        )
    if settings.gateway_api_keys_file:
        sources.append(f"the file {settings.gateway_api_keys_file} ({KEYS_FILE_ENV})")
    auth = f'"Authorization: Bearer {FIRST_ENV_KEY if environ.get(KEYS_ENV) else "$API_KEY"}"'
    where = " and ".join(sources) or f"none configured: set {KEYS_ENV}, or the gateway does not start"
    lines = [
        f"==> Ctrl-C, or SIGINT/SIGTERM to pid {pid}, stops every process",
        f"    console   {gateway_url}/console  (it asks for an API key)",
        f"    gateway   {gateway_url}",
        f"    API keys  {where}",
    ]
    if sources and not environ.get(KEYS_ENV):
        lines.append("              the commands below read one from $API_KEY: export API_KEY=<one of them>")
    body = shlex.quote(json.dumps({"url": "https://shop.example/p/1"}))
    query = (
        f"SELECT domain, count() AS results, countIf(status = 'OK') AS ok "
        f"FROM {settings.clickhouse_database}.scrape_events "
        "WHERE scraped_at > now() - INTERVAL 1 HOUR GROUP BY domain ORDER BY results DESC LIMIT 20"
    )
    lines += [
        "  publish:",
        f"    curl -sS -X POST {gateway_url}/v1/requests -H {auth} "
        f"-H 'Content-Type: application/json' -d {body}",
        f"    {scrapestream} publish https://shop.example/p/1",
        "  subscribe:",
        f"    curl -sS -N {gateway_url}/v1/updates -H {auth}",
        f"    {scrapestream} subscribe --follow",
        "  sql:",
        f"    {scrapestream} sql {shell_quoted(query)}",
    ]
    return "\n".join(lines)
