"""Every ScrapeStream setting, defined once.

Values come from, in rising precedence: the defaults below, an optional TOML file
(`SCRAPESTREAM_CONFIG`, else `./scrapestream.toml` when present) and environment variables
named `SCRAPESTREAM_<FIELD>` (e.g. `SCRAPESTREAM_KAFKA_BOOTSTRAP`). In the TOML file a field
`kafka_bootstrap` is written `bootstrap = "..."` under a `[kafka]` table.

Everything is validated when loaded; a bad value raises `ConfigError` naming the setting.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import typing
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

ENV_PREFIX = "SCRAPESTREAM_"
DEFAULT_CONFIG_FILE = Path("scrapestream.toml")


class ConfigError(ValueError):
    """A setting is missing, malformed or inconsistent; the message names it."""


def _default_chromium() -> Path:
    """Debian's headless shell when installed (`make setup` installs it; measured here 1.6x the pages/s
    of the full browser with 30 % less memory), else Debian's full Chromium."""
    headless_shell = Path("/usr/lib/chromium/chromium-headless-shell")
    return headless_shell if headless_shell.exists() else Path("/usr/bin/chromium")


def _default_cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "scrapestream"


@dataclass(frozen=True)
class Settings:
    # Where the local stack keeps its data and logs (git-ignored), and where jars are cached.
    data_dir: Path = Path(".scrapestream")
    cache_dir: Path = field(default_factory=_default_cache_dir)

    # Kafka. Locally a single KRaft node; in production the bootstrap list of a real cluster.
    kafka_bootstrap: str = "127.0.0.1:9092"
    kafka_controller_port: int = 9093
    kafka_heap_mb: int = 768
    kafka_partitions: int = 6
    kafka_replication: int = 1
    # min.insync.replicas of our topics: with acks=all a write needs this many replicas in sync.
    # 1 = the broker's default (a single node); 2 with replication 3 survives one broker down.
    kafka_min_insync_replicas: int = 1
    schema_registry_url: str = ""

    # The replicated local stack (`scrapestream infra up --replicated`, scrapestream/infra/replicated.py):
    # 3 Kafka brokers in KRaft (each also a controller: its controller listener is its broker port + 1)
    # and 3 Cassandra nodes (one loopback address each, sharing cassandra_port and cassandra_storage_port).
    # `infra_replicated` makes `infra up|down|status|logs` act on it without the flag.
    infra_replicated: bool = False
    replicated_data_dir: Path = Path(".scrapestream-replicated")
    replicated_kafka_bootstrap: str = "127.0.0.1:9192,127.0.0.1:9292,127.0.0.1:9392"
    replicated_cassandra_hosts: tuple[str, ...] = ("127.0.0.1", "127.0.0.2", "127.0.0.3")
    replicated_kafka_heap_mb: int = 384
    replicated_cassandra_heap_mb: int = 768

    # Stream workers: tasks close at N requests or T seconds; dedup memory is kept this long.
    batch_max_requests: int = 50
    batch_max_seconds: float = 2.0
    dedup_max_window_seconds: int = 86_400

    # Cassandra.
    cassandra_hosts: tuple[str, ...] = ("127.0.0.1",)
    cassandra_port: int = 9042
    cassandra_storage_port: int = 7000
    cassandra_heap_mb: int = 1024
    cassandra_keyspace: str = "scrapestream"
    # Keyspace replication: "1" = SimpleStrategy with that factor (local), or a
    # NetworkTopologyStrategy spec "dc1:3,dc2:3". Applied when `scrapestream db migrate` creates it.
    cassandra_replication: str = "1"
    # Consistency of Cassandra statements. Empty: product-store reads and writes at LOCAL_QUORUM
    # (1 of 1 replica on one node, 2 of 3 with replication 3), anything else (migrations, ad-hoc
    # reads) at the driver's LOCAL_ONE. A level (QUORUM on the replicated stack): every statement.
    cassandra_consistency: str = ""
    cassandra_write_concurrency: int = 256  # writes in flight per product-store batch
    price_history_ttl_days: int = 90  # price_history rows expire after this many days

    # Sinks (consumers/sinks/base.py): flush a batch at sink_batch_rows or after sink_flush_ms;
    # `write` blocks while sink_max_buffered_rows are waiting or in flight (backpressure).
    sink_batch_rows: int = 2000
    sink_flush_ms: int = 500
    sink_max_buffered_rows: int = 20000

    # ClickHouse: chdb:///dir (embedded engine, the default) or http(s)://host:port (a server).
    clickhouse_url: str = ""
    clickhouse_database: str = "scrapestream"
    # Embedded mode: the owning process answers read-only analytics queries on 127.0.0.1:<port>.
    analytics_port: int = 8710
    # Limits of every read-only analytics query (the gateway's SQL endpoint and `scrapestream sql`).
    analytics_max_execution_seconds: int = 10
    analytics_max_result_rows: int = 100_000
    analytics_max_result_bytes: int = 50_000_000

    # Where the browser scraper finds Chromium (never downloaded by Playwright).
    chromium_path: Path = field(default_factory=_default_chromium)

    # Hosts, host:port or IP networks (CIDR: IP-literal hosts inside, any port) the scrapers may fetch
    # although they are loopback/private (SSRF guard, scrapestream.urls.UrlGuard), e.g. the demo shop
    # and a web world: SCRAPESTREAM_SSRF_ALLOWLIST=127.0.0.1:8000,127.20.0.0/16
    ssrf_allowlist: tuple[str, ...] = ()

    # HTTP gateway (producers/gateway.py). API keys are comma-separated; in production they come
    # from a Kubernetes Secret through SCRAPESTREAM_GATEWAY_API_KEYS, never from a file in git.
    # The rate limit is per key: a token bucket refilled at rate_per_second, holding at most
    # burst tokens; each request in a batch costs one token.
    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8700
    gateway_api_keys: tuple[str, ...] = ()
    # Optional file of further keys, one a line ("#" comments): re-read when it changes, so a key
    # is revoked or added without a restart (e.g. a mounted Secret). Empty = no file.
    gateway_api_keys_file: str = ""
    # A client must send its request headers, and separately its whole body, within this many
    # seconds (slow-drip clients are cut off: 408 for a body, a closed connection for headers).
    gateway_client_timeout_seconds: float = 10.0
    gateway_rate_per_second: int = 1000
    gateway_burst: int = 2000
    # Product reads: an in-process LRU of this many entries, each kept at most ttl seconds (entries
    # are also dropped when a CacheInvalidation arrives); size 0 turns the cache off.
    gateway_cache_size: int = 10_000
    gateway_cache_ttl_seconds: float = 60.0
    # /v1/updates: updates queued per streaming client; a client that falls this far behind is dropped.
    gateway_stream_queue_size: int = 256

    # Scraper workers (consumers/scraper/). Politeness is per domain (host:port) and per worker: tasks are
    # keyed by domain, so one worker owns a domain's partition. A domain rate of 0 means unlimited (no
    # spacing, no adaptive delay: for your own sites). `concurrency` counts requests on the wire, over all
    # domains; a worker takes tasks until `max_queued_requests` requests wait, then pauses its partitions.
    scraper_group_id: str = "scrapestream-scrapers"
    scraper_concurrency: int = 256
    scraper_max_queued_requests: int = 20_000
    scraper_domain_rate: float = 10.0
    scraper_domain_concurrency: int = 8
    # Adaptive per-domain delay from latency and faults (AutoThrottle's idea), within [1/rate, max].
    scraper_autothrottle: bool = True
    scraper_max_domain_delay_seconds: float = 60.0
    # A robots.txt Crawl-delay (or Request-rate) is honoured up to this many seconds between requests.
    scraper_max_crawl_delay_seconds: float = 60.0
    scraper_timeout_seconds: float = 15.0
    scraper_max_body_bytes: int = 2_000_000
    scraper_max_redirects: int = 5
    scraper_retries: int = 3
    scraper_backoff_seconds: float = 0.5
    scraper_max_retry_after_seconds: float = 30.0
    scraper_breaker_failures: int = 5
    scraper_breaker_cooldown_seconds: float = 30.0
    scraper_robots_ttl_seconds: float = 3600.0
    scraper_user_agent: str = "ScrapeStreamBot/0.1"
    # Worker health endpoints (scrapestream/health.py): /healthz, /readyz and /metrics for Kubernetes
    # probes and Prometheus, served by stream, fan-out and scraper workers when the port is set (0 = off).
    health_host: str = "127.0.0.1"
    health_port: int = 0
    browser_pool_size: int = 4
    browser_pages_per_restart: int = 500

    def __post_init__(self) -> None:
        if not self.clickhouse_url:
            embedded = f"chdb://{(self.data_dir / 'clickhouse').resolve()}"
            object.__setattr__(self, "clickhouse_url", embedded)
        _validate(self)

    @property
    def clickhouse_embedded(self) -> bool:
        return self.clickhouse_url.startswith("chdb://")

    @property
    def clickhouse_path(self) -> Path:
        """Data directory of the embedded engine."""
        return Path(urlsplit(self.clickhouse_url).path)

    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"


# Settings that count or size something: at least 1.
_COUNTS = (
    "kafka_partitions", "kafka_replication", "kafka_min_insync_replicas", "kafka_heap_mb",
    "cassandra_heap_mb", "replicated_kafka_heap_mb", "replicated_cassandra_heap_mb", "batch_max_requests",
    "gateway_rate_per_second", "gateway_burst", "gateway_stream_queue_size",
    "cassandra_write_concurrency", "price_history_ttl_days", "sink_batch_rows", "sink_flush_ms",
    "sink_max_buffered_rows", "analytics_max_execution_seconds", "analytics_max_result_rows",
    "analytics_max_result_bytes", "scraper_concurrency", "scraper_max_queued_requests",
    "scraper_domain_concurrency", "scraper_max_body_bytes", "scraper_breaker_failures", "browser_pool_size",
    "browser_pages_per_restart",
)  # fmt: skip
# Settings where 0 means off or unlimited, but nothing negative makes sense.
_NON_NEGATIVE = (
    "gateway_cache_size", "dedup_max_window_seconds", "scraper_domain_rate", "scraper_max_redirects",
    "scraper_retries", "scraper_backoff_seconds", "scraper_max_retry_after_seconds",
    "scraper_breaker_cooldown_seconds", "scraper_robots_ttl_seconds", "scraper_max_domain_delay_seconds",
    "scraper_max_crawl_delay_seconds",
)  # fmt: skip
# Durations that must be longer than nothing.
_POSITIVE = (
    "batch_max_seconds",
    "gateway_cache_ttl_seconds",
    "gateway_client_timeout_seconds",
    "scraper_timeout_seconds",
)
_PORTS = (
    "kafka_controller_port",
    "cassandra_port",
    "cassandra_storage_port",
    "gateway_port",
    "analytics_port",
)
_OPTIONAL_PORTS = ("health_port",)  # 0 = not served


def _validate(s: Settings) -> None:
    for entry in s.kafka_bootstrap.split(","):
        host_port(entry, "kafka_bootstrap")
    for name in _PORTS + tuple(name for name in _OPTIONAL_PORTS if getattr(s, name)):
        _check_port(getattr(s, name), name)
    _check_range(s, _COUNTS, lambda value: value >= 1, "must be at least 1")
    _check_range(s, _NON_NEGATIVE, lambda value: value >= 0, "must not be negative")
    _check_range(s, _POSITIVE, lambda value: value > 0, "must be positive")
    if not s.cassandra_hosts or not all(s.cassandra_hosts):
        raise ConfigError(f"{_env_name('cassandra_hosts')}: give at least one host")
    if not s.cassandra_keyspace.isidentifier():
        raise ConfigError(f"{_env_name('cassandra_keyspace')}: {s.cassandra_keyspace!r} is not a CQL name")
    cassandra_replication_options(s.cassandra_replication)
    if s.kafka_min_insync_replicas > s.kafka_replication:
        raise ConfigError(
            f"{_env_name('kafka_min_insync_replicas')}: {s.kafka_min_insync_replicas} is more than "
            f"kafka_replication ({s.kafka_replication}): no write could ever succeed"
        )
    if s.cassandra_consistency and s.cassandra_consistency.upper() not in CASSANDRA_CONSISTENCY_LEVELS:
        raise ConfigError(
            f"{_env_name('cassandra_consistency')}: {s.cassandra_consistency!r} is not one of "
            f"{', '.join(CASSANDRA_CONSISTENCY_LEVELS)}"
        )
    _validate_replicated(s)
    _check_clickhouse_url(s.clickhouse_url)
    if s.sink_max_buffered_rows < s.sink_batch_rows:
        raise ConfigError(f"{_env_name('sink_max_buffered_rows')}: must be at least sink_batch_rows")
    if not s.scraper_group_id.strip():
        raise ConfigError(f"{_env_name('scraper_group_id')}: must not be empty")
    if s.schema_registry_url and urlsplit(s.schema_registry_url).scheme not in ("http", "https"):
        raise ConfigError(
            f"{_env_name('schema_registry_url')}: {s.schema_registry_url!r} is not an http(s) URL"
        )


# Consistency levels a read and a write both accept (not ANY, SERIAL or LOCAL_SERIAL).
CASSANDRA_CONSISTENCY_LEVELS = (
    "ONE",
    "TWO",
    "THREE",
    "QUORUM",
    "LOCAL_QUORUM",
    "EACH_QUORUM",
    "ALL",
    "LOCAL_ONE",
)


def _validate_replicated(s: Settings) -> None:
    brokers = [
        host_port(entry, "replicated_kafka_bootstrap") for entry in s.replicated_kafka_bootstrap.split(",")
    ]
    listeners = {(host, port + extra) for host, port in brokers for extra in (0, 1)}
    if len(listeners) != 2 * len(brokers):
        raise ConfigError(
            f"{_env_name('replicated_kafka_bootstrap')}: brokers need distinct ports at least 2 apart "
            "(each broker's controller listens on its port + 1)"
        )
    for _, port in brokers:
        _check_port(port + 1, "replicated_kafka_bootstrap")
    hosts = s.replicated_cassandra_hosts
    if not hosts or not all(hosts) or len(set(hosts)) != len(hosts):
        raise ConfigError(f"{_env_name('replicated_cassandra_hosts')}: give distinct addresses, one per node")


def _check_range(
    s: Settings, names: tuple[str, ...], valid: typing.Callable[[float], bool], rule: str
) -> None:
    for name in names:
        if not valid(getattr(s, name)):
            raise ConfigError(f"{_env_name(name)}: {rule}, got {getattr(s, name)}")


def cassandra_replication_options(spec: str) -> dict[str, str]:
    """CQL replication map for "3" (SimpleStrategy) or "dc1:3,dc2:3" (NetworkTopologyStrategy)."""
    spec = spec.strip()
    if spec.isdigit() and int(spec) > 0:
        return {"class": "SimpleStrategy", "replication_factor": spec}
    options = {"class": "NetworkTopologyStrategy"}
    for entry in spec.split(","):
        dc, sep, factor = entry.strip().partition(":")
        if not sep or not dc.replace("-", "_").isidentifier() or not factor.isdigit() or int(factor) < 1:
            raise ConfigError(
                f"{_env_name('cassandra_replication')}: {spec!r} is neither a factor like 3 "
                "nor datacenter:factor pairs like dc1:3,dc2:3"
            )
        options[dc] = factor
    return options


def host_port(value: str, setting: str) -> tuple[str, int]:
    """Split 'host:port', raising ConfigError naming `setting` when it is not one."""
    host, sep, port = value.strip().rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ConfigError(f"{_env_name(setting)}: {value!r} is not host:port")
    _check_port(int(port), setting)
    return host.strip("[]"), int(port)


def _check_port(port: int, setting: str) -> None:
    if not 0 < port < 65536:
        raise ConfigError(f"{_env_name(setting)}: port {port} is outside 1-65535")


def _check_clickhouse_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme == "chdb":
        if not parts.path:
            raise ConfigError(f"{_env_name('clickhouse_url')}: {url!r} names no data directory")
        return
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"{_env_name('clickhouse_url')}: {url!r} is neither chdb:///<dir> nor http(s)://host:port"
        )
    try:
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as error:
        raise ConfigError(f"{_env_name('clickhouse_url')}: {url!r}: {error}") from None


def _env_name(field_name: str) -> str:
    return ENV_PREFIX + field_name.upper()


def _coerce(name: str, kind: typing.Any, raw: object) -> object:
    """Turn a TOML or environment value into the field's type, or say which setting is wrong."""
    try:
        if kind is bool:
            return _boolean(raw)
        if kind is int:
            return int(raw)  # type: ignore[call-overload]
        if kind is float:
            return float(raw)  # type: ignore[arg-type]
        if kind is Path:
            return Path(str(raw)).expanduser()
        if kind == tuple[str, ...]:
            items = raw.split(",") if isinstance(raw, str) else list(raw)  # type: ignore[call-overload]
            return tuple(str(item).strip() for item in items)
        return str(raw)
    except (TypeError, ValueError, KeyError):
        raise ConfigError(f"{_env_name(name)}: {raw!r} is not a valid {kind.__name__}") from None


_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")
_BOOLEANS = dict.fromkeys(_TRUE, True) | dict.fromkeys(_FALSE, False)


def _boolean(raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    return _BOOLEANS[str(raw).strip().lower()]  # an unknown word: KeyError, reported by _coerce


def _flatten_toml(document: dict[str, object], path: Path) -> dict[str, object]:
    flat: dict[str, object] = {}
    for key, value in document.items():
        if isinstance(value, dict):
            flat.update({f"{key}_{inner}": inner_value for inner, inner_value in value.items()})
        else:
            flat[key] = value
    unknown = set(flat) - {f.name for f in dataclasses.fields(Settings)}
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s) {', '.join(sorted(unknown))}")
    return flat


def load_settings(environ: typing.Mapping[str, str] | None = None) -> Settings:
    """Build validated Settings from the config file and the environment."""
    environ = os.environ if environ is None else environ
    config_file = Path(environ.get(ENV_PREFIX + "CONFIG", DEFAULT_CONFIG_FILE))
    raw: dict[str, object] = {}
    if config_file.is_file():
        try:
            raw.update(_flatten_toml(tomllib.loads(config_file.read_text()), config_file))
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{config_file}: not valid TOML: {error}") from None
    elif ENV_PREFIX + "CONFIG" in environ:
        raise ConfigError(f"{ENV_PREFIX}CONFIG: file {config_file} does not exist")
    hints = typing.get_type_hints(Settings)
    for f in dataclasses.fields(Settings):
        if _env_name(f.name) in environ:
            raw[f.name] = environ[_env_name(f.name)]
    values = {name: _coerce(name, hints[name], value) for name, value in raw.items()}
    return Settings(**values)  # type: ignore[arg-type]


@cache
def settings() -> Settings:
    """The process-wide settings, loaded once."""
    return load_settings()
