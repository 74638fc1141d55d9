"""HTTP gateway: scrape requests in over HTTP, out to scrape.requests through the RequestPublisher.

Routes
- `POST /v1/requests` with `Content-Type: application/json`: one request object, or
  `{"requests": [...]}` with 1 to 1,000 of them. Fields: url (required), priority, render, kind,
  freshness_seconds, correlation_id, tags (see producers.publisher.build_request). Answers 202
  `{"accepted": [{"request_id", "url", "canonical_url"}, ...], "count": n}` only after the broker
  acknowledged every message.
- `GET /v1/products/{product_id}` and `GET /v1/products?domain=...`: product reads, cache-first
  (producers/product_reads.py). `GET /v1/updates`: product updates as Server-Sent Events
  (producers/update_stream.py). `POST /v1/analytics/query`: read-only SQL
  (producers/analytics_endpoint.py). `GET /v1/lag`: the pipeline's consumer lag (scrapestream/lag.py).
  `GET /v1/lag` also answers each group's lag summed over its partitions over the last hour
  (scrapestream/lag.py), for the console's chart. `GET /v1/info`: the analytics database name
  (for the console's queries). All of these need an API key, like the POST.
- `GET /console`: the live console page (producers/console/, docs/console.md; the page asks for the
  key). `GET /console/static/{filename}`: its scripts and style sheets, the vendored chart library
  (producers/console/vendor/) included: the console loads nothing from elsewhere.
- `GET /healthz`: the process answers. `GET /readyz`: a broker answers and knows the request
  topic (probed at most every READINESS_TTL seconds; 503 when not). `GET /metrics`: Prometheus.
- `GET /openapi.json`: the API contract, producers/openapi.json (docs/api.md). Every route
  registered here has its path there and the other way round (tests/unit/test_openapi.py).

A missing dependency is a 503 naming it, never a 500: no broker, a topic that does not exist
(with the `scrapestream topics create` command that makes it), Cassandra or the analytics store
away. A 500 means a bug: its traceback is logged and the client gets a JSON error all the same.

Background work of a gateway process: a consumer of cache.invalidation in a group of its own
(producers/product_cache.py), one shared reader of product.updates started with the first stream
client, and the consumer-lag monitor. With a topic prefix (`--topic-prefix`) every topic the
gateway touches is the prefixed one.

Checks of a POST, in order, each answered with JSON `{"error": ..., "field": ...}`:
1. 401 without a known API key (`Authorization: Bearer <key>` or `X-API-Key: <key>`). Keys come
   from settings.gateway_api_keys and settings.gateway_api_keys_file (re-read when it changes, so
   keys are revoked without a restart; see ApiKeys); every key is compared in constant time.
2. 415 unless the body is declared application/json; 413 if it is larger than MAX_BODY_BYTES;
   408 if it does not arrive within settings.gateway_client_timeout_seconds (slow-drip clients;
   the same time bounds sending the headers, see server_options); 400 for malformed JSON (nesting
   too deep for the parser included) or a batch of more than MAX_BATCH (also 400, not 413: the
   body may be small, it is the count that is refused).
3. 429 with Retry-After (whole seconds) when the key's token bucket cannot pay for the batch:
   one token per request in it. A batch larger than the bucket could ever hold is a 400.
4. Validation, all-or-nothing: every item is checked (fields, then the SSRF guard) before
   anything is published; if any is invalid the whole batch is refused with 400, `field` naming
   the first bad one (`requests[3].url`) and `errors` listing up to MAX_ERRORS_LISTED of them.
   Nothing of a refused batch reaches Kafka, so a client fixes and resends the whole batch.
5. If the broker fails some messages of a valid batch: 503 with `accepted` (written) and
   `failed` (index and error); resending the failed ones is safe, dedup is downstream.

SSRF: every URL goes through scrapestream.urls.UrlGuard (settings.ssrf_allowlist): non-http(s),
loopback, private, link-local (cloud metadata), and names resolving to such addresses are
refused. Names are resolved through scrapestream.urls.CachingResolver (the scrapers' resolver too),
answers and failures cached for DNS_TTL seconds. A look-up that fails approves nothing; the gateway
then accepts the request all the same, its host being no blocked IP literal: it fetches nothing
itself, the scraper checks every URL again, with a look-up of its own, before each fetch (and
refuses a name that still does not resolve), and a shop whose DNS is briefly down should not lose
its requests.

The gateway is stateless: run as many as needed behind a load balancer. Rate limits are per
gateway process, so a key's effective limit is the setting times the number of replicas.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any

from aiohttp import web

from producers import analytics_endpoint, product_reads, update_stream
from producers.http_common import BODY_TIMEOUT, CLIENT, MAX_BODY_BYTES, ApiError, read_json
from producers.product_cache import InvalidationListener, ProductCache
from producers.publisher import (
    InvalidRequestField,
    PublisherClosed,
    Receipt,
    Record,
    RequestPublisher,
    TopicMissing,
    build_request,
    rejection_reason,
)
from scrapestream import metrics
from scrapestream.config import ConfigError, Settings
from scrapestream.health import READINESS, Readiness, healthz, metrics_page, readyz
from scrapestream.kafka import BROKER_PROBE_TIMEOUT, BrokerUnavailable, DeliveryFailed
from scrapestream.lag import LagMonitor
from scrapestream.stores.analytics import open_reader
from scrapestream.topics import TopicNames
from scrapestream.urls import DNS_TTL, CachingResolver, InvalidURL, UrlGuard

log = logging.getLogger(__name__)

MAX_BATCH = 1000
MAX_ERRORS_LISTED = 20
REQUEST_FIELDS = frozenset(
    {"url", "priority", "render", "kind", "freshness_seconds", "correlation_id", "tags"}
)
PUBLISH_TIMEOUT_MS = 30_000  # a client waits at most this long for the broker before a 503
KEY_FILE_RECHECK = 1.0  # seconds between looks at the API key file: a revoked key works at most this long
CONSOLE_DIR = Path(__file__).parent / "console"
CONSOLE_FILE_TYPES = {".js": "text/javascript", ".css": "text/css"}
OPENAPI_DOCUMENT = Path(__file__).parent / "openapi.json"
SHUTDOWN_REASON = "the gateway is shutting down; reconnect to another"  # the update streams' last event

Clock = Callable[[], float]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class TokenBucket:
    """Holds up to `burst` tokens, refilled at `rate` per second; a request spends one."""

    def __init__(self, rate: float, burst: float, clock: Clock = time.monotonic) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = burst
        self._updated = clock()

    def take(self, cost: float) -> float:
        """Spend `cost` tokens and return 0, or spend nothing and return the seconds until they are
        there (math.inf when `cost` exceeds `burst`: it can never be paid)."""
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
        self._updated = now
        if cost <= self._tokens:
            self._tokens -= cost
            return 0.0
        return math.inf if cost > self.burst else (cost - self._tokens) / self.rate


class RateLimiter:
    """A TokenBucket per client (one per configured key, so the number of buckets is bounded)."""

    def __init__(self, rate: int, burst: int, clock: Clock = time.monotonic) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._buckets: dict[str, TokenBucket] = {}

    def take(self, client: str, cost: int) -> float:
        """`TokenBucket.take` on the client's bucket."""
        bucket = self._buckets.get(client)
        if bucket is None:
            bucket = self._buckets[client] = TokenBucket(self.rate, self.burst, self._clock)
        return bucket.take(cost)


class ApiKeys:
    """The configured API keys. `client_of` names the caller by a hash of its key, never the key.

    Keys come from settings (fixed for the process) and, optionally, from a key file: one key a
    line (or several separated by commas, as in SCRAPESTREAM_GATEWAY_API_KEYS and the Helm chart's
    Secret), blank lines and "#" comments ignored. The file is re-read when its modification time or
    size changes (looked at most every KEY_FILE_RECHECK seconds), so a key is added or revoked by
    rewriting the file, with no restart: a Kubernetes Secret mounted as a volume is updated like
    that. A key file that cannot be read counts as empty (fail closed: its keys stop working).
    """

    def __init__(
        self, keys: Iterable[str], key_file: Path | None = None, clock: Clock = time.monotonic
    ) -> None:
        self._fixed = [key for key in keys if key]
        self._key_file = key_file
        self._clock = clock
        self._file_state: tuple[float, int] | None = None
        self._checked_at = -math.inf
        self._keys = self._entries(self._fixed)
        self._reload_if_changed()
        if not self._keys:
            raise ConfigError("SCRAPESTREAM_GATEWAY_API_KEYS (or _FILE): configure at least one API key")

    def client_of(self, presented: str | None) -> str | None:
        """The client id of a presented key, or None. Compares with every key in constant time, so
        neither the timing of one comparison nor an early exit tells how close a guess was."""
        self._reload_if_changed()
        if presented is None:
            return None
        candidate = presented.encode()
        found = None
        for key, client in self._keys:
            if hmac.compare_digest(candidate, key):
                found = client
        return found

    @staticmethod
    def _entries(keys: Iterable[str]) -> list[tuple[bytes, str]]:
        return [(key.encode(), client_id(key)) for key in keys]

    def _reload_if_changed(self) -> None:
        if self._key_file is None or self._clock() - self._checked_at < KEY_FILE_RECHECK:
            return
        self._checked_at = self._clock()
        try:
            stat = self._key_file.stat()
            state = (stat.st_mtime, stat.st_size)
            if state == self._file_state:
                return
            lines = self._key_file.read_text().splitlines()
        except OSError as error:
            log.warning("API key file %s unreadable, its keys are refused: %s", self._key_file, error)
            state, lines = None, []
        self._file_state = state
        from_file = [
            key.strip()
            for line in lines
            if not line.lstrip().startswith("#")
            for key in line.split(",")
            if key.strip()
        ]
        self._keys = self._entries([*self._fixed, *from_file])


def client_id(key: str) -> str:
    """What requests record in requested_by: 'api-key:' and 12 hex digits of the key's SHA-256."""
    return "api-key:" + hashlib.sha256(key.encode()).hexdigest()[:12]


def presented_key(headers: Any) -> str | None:
    """The key in `Authorization: Bearer <key>` or else `X-API-Key`, if any."""
    scheme, _, token = headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return headers.get("X-API-Key") or None


# -- application ----------------------------------------------------------------------------
PUBLISHER = web.AppKey("publisher", RequestPublisher)
KEYS = web.AppKey("keys", ApiKeys)
LIMITER = web.AppKey("limiter", RateLimiter)
GUARD = web.AppKey("guard", UrlGuard)
LAG = web.AppKey("lag", LagMonitor)
INVALIDATIONS = web.AppKey("invalidations", InvalidationListener)


def create_app(settings: Settings, *, topic: str | None = None, prefix: str = "") -> web.Application:
    """The gateway for `settings` on the topics under `prefix`; `topic` overrides the request topic
    (tests pass private ones)."""
    names = TopicNames.prefixed(prefix)
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[_json_errors_and_metrics])
    key_file = Path(settings.gateway_api_keys_file) if settings.gateway_api_keys_file else None
    app[KEYS] = ApiKeys(settings.gateway_api_keys, key_file)
    app[BODY_TIMEOUT] = settings.gateway_client_timeout_seconds
    app[LIMITER] = RateLimiter(settings.gateway_rate_per_second, settings.gateway_burst)
    app[GUARD] = UrlGuard(settings.ssrf_allowlist, resolve=CachingResolver(failure_ttl=DNS_TTL))

    async def publisher_lifecycle(app: web.Application) -> AsyncIterator[None]:
        publisher = RequestPublisher(
            settings, topic=topic or names.requests, **{"message.timeout.ms": PUBLISH_TIMEOUT_MS}
        )
        app[PUBLISHER] = publisher
        app[READINESS] = Readiness(lambda: publisher.check_broker(BROKER_PROBE_TIMEOUT))
        yield
        await asyncio.to_thread(publisher.close)

    async def reads_lifecycle(app: web.Application) -> AsyncIterator[None]:
        cache = ProductCache(settings.gateway_cache_size, settings.gateway_cache_ttl_seconds)
        app[INVALIDATIONS] = listener = InvalidationListener(settings, names.invalidation, cache)
        app[product_reads.READS] = reads = product_reads.ProductReads(settings, cache, app[PUBLISHER])
        app[update_stream.HUB] = hub = update_stream.UpdateHub(settings, names.updates)
        app[analytics_endpoint.READER] = reader = open_reader(settings)
        app[LAG] = lag = LagMonitor(settings, prefix)
        background = [
            asyncio.create_task(listener.run()),
            asyncio.create_task(lag.run()),
        ]
        yield
        listener.stop()
        for task in background[1:]:  # loops; measuring runs on a thread with clients of its own
            task.cancel()
        await asyncio.gather(*background, hub.stop(), return_exceptions=True)
        await reads.close()
        await reader.close()

    app.cleanup_ctx.extend([publisher_lifecycle, reads_lifecycle])
    app.on_shutdown.append(end_update_streams)
    app.router.add_post("/v1/requests", post_requests)
    app.router.add_get("/v1/products", _authenticated(product_reads.list_products))
    app.router.add_get("/v1/products/{product_id}", _authenticated(product_reads.get_product))
    app.router.add_get("/v1/updates", _authenticated(update_stream.stream_updates))
    app.router.add_post("/v1/analytics/query", _authenticated(analytics_endpoint.post_query))
    app.router.add_get("/v1/lag", _authenticated(lag_page))
    app.router.add_get("/v1/info", _authenticated(partial(info_page, settings.clickhouse_database)))
    app.router.add_get("/console", console_page)
    app.router.add_get("/console/static/{filename:.+}", console_file)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_page)
    app.router.add_get("/openapi.json", openapi_page)
    return app


async def end_update_streams(app: web.Application) -> None:
    """On SIGTERM/SIGINT: every /v1/updates stream ends with `event: close`, and the shutdown goes on
    at once instead of waiting the shutdown timeout for streams that never end by themselves."""
    app[update_stream.HUB].end_streams(SHUTDOWN_REASON)


def run(settings: Settings, prefix: str = "") -> int:
    """Serve until interrupted (`scrapestream gateway`)."""
    web.run_app(
        create_app(settings, prefix=prefix),
        host=settings.gateway_host,
        port=settings.gateway_port,
        **server_options(settings),
    )
    return 0


def server_options(settings: Settings) -> dict[str, Any]:
    """aiohttp server options of the gateway. keepalive_timeout also bounds how long a new
    connection may take to send its first request's headers (aiohttp arms it on connect and
    data does not reset it), so a client dripping its headers is disconnected after it."""
    return {"keepalive_timeout": settings.gateway_client_timeout_seconds}


def authenticate(request: web.Request) -> str:
    """The caller's client id; ApiError 401 without a known key."""
    client = request.app[KEYS].client_of(presented_key(request.headers))
    if client is None:
        raise ApiError(401, "missing or unknown API key (send Authorization: Bearer <key> or X-API-Key)")
    return client


def _authenticated(handler: Handler) -> Handler:
    """`handler` behind the API-key check; the client id is in request[CLIENT]."""

    async def checked(request: web.Request) -> web.StreamResponse:
        request[CLIENT] = authenticate(request)
        return await handler(request)

    return checked


# -- handlers -------------------------------------------------------------------------------
async def post_requests(request: web.Request) -> web.Response:
    app = request.app
    client = authenticate(request)
    items = parse_items(await read_json(request))
    _spend_tokens(app[LIMITER], client, len(items))
    records = await validate_items(items, app[GUARD], requested_by=client)
    receipts = await _publish(app[PUBLISHER], records)
    accepted = [
        {"request_id": r.request_id, "url": r.url, "canonical_url": r.canonical_url} for r in receipts
    ]
    return web.json_response({"accepted": accepted, "count": len(accepted)}, status=202)


async def lag_page(request: web.Request) -> web.Response:
    app = request.app
    return web.json_response({"partitions": app[LAG].snapshot(), "history": list(app[LAG].history)})


async def info_page(analytics_database: str, request: web.Request) -> web.Response:
    """What the console needs to know to build its queries."""
    return web.json_response({"analytics_database": analytics_database})


async def console_page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(CONSOLE_DIR / "index.html")


async def console_file(request: web.Request) -> web.FileResponse:
    """A script or style sheet of the console (producers/console/, its vendor/ folder included); a
    JSON 404 for anything else. Not aiohttp's static route: it answers a missing file with an empty
    application/octet-stream 404."""
    name = request.match_info["filename"]  # decoded: "a%2F..%2Fx.js" is "a/../x.js"
    path = CONSOLE_DIR / name
    content_type = CONSOLE_FILE_TYPES.get(path.suffix)
    if content_type is None or not path.resolve().is_relative_to(CONSOLE_DIR.resolve()) or not path.is_file():
        raise ApiError(404, f"no console file {name!r}")
    return web.FileResponse(path, headers={"Content-Type": content_type})


async def openapi_page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(OPENAPI_DOCUMENT, headers={"Content-Type": "application/json"})


# -- steps of a POST ------------------------------------------------------------------------
def parse_items(document: Any) -> list[tuple[str, Any]]:
    """(field prefix for errors, item) for each request in a body: a single object or a batch."""
    if not isinstance(document, dict):
        raise ApiError(400, 'expected a JSON object: one request, or {"requests": [...]}')
    if "requests" not in document:
        return [("", document)]
    extra = sorted(set(document) - {"requests"})
    if extra:
        raise ApiError(400, "unknown field next to requests", field=extra[0])
    batch = document["requests"]
    if not isinstance(batch, list) or not batch:
        raise ApiError(400, "expected a non-empty array of requests", field="requests")
    if len(batch) > MAX_BATCH:
        raise ApiError(400, f"{len(batch)} requests, more than {MAX_BATCH} in one batch", field="requests")
    return [(f"requests[{index}].", item) for index, item in enumerate(batch)]


def _spend_tokens(limiter: RateLimiter, client: str, cost: int) -> None:
    wait = limiter.take(client, cost)
    if wait == math.inf:
        raise ApiError(400, f"{cost} requests exceed this key's burst of {limiter.burst}", field="requests")
    if wait:
        metrics.GATEWAY_RATE_LIMITED.inc()
        retry_after = str(max(1, math.ceil(wait)))
        raise ApiError(
            429, "rate limit exceeded", headers={"Retry-After": retry_after}, retry_after=int(retry_after)
        )


async def validate_items(items: list[tuple[str, Any]], guard: UrlGuard, *, requested_by: str) -> list[Record]:
    """ScrapeRequest records for every item, or ApiError 400 listing the bad fields (the first in `field`)."""
    outcomes = await asyncio.gather(
        *(_checked_record(item, guard, requested_by) for _, item in items), return_exceptions=True
    )
    errors = [
        _field_error(prefix, outcome)
        for (prefix, _), outcome in zip(items, outcomes, strict=True)
        if isinstance(outcome, BaseException)
    ]
    if errors:
        first = errors[0]
        raise ApiError(400, first["error"], field=first["field"], errors=errors[:MAX_ERRORS_LISTED])
    return outcomes


async def _checked_record(item: Any, guard: UrlGuard, requested_by: str) -> Record:
    """The record of one item, its URL approved by the SSRF guard (or its name unresolvable: see the
    module docstring)."""
    record = _record_of(item, requested_by)
    with contextlib.suppress(OSError):  # the look-up failed: the scraper's guard decides before any fetch
        await guard.check(record["canonical_url"])
    return record


def _record_of(item: Any, requested_by: str) -> Record:
    if not isinstance(item, dict):
        raise InvalidRequestField("", "expected a request object")
    unknown = sorted(set(item) - REQUEST_FIELDS)
    if unknown:
        raise InvalidRequestField(unknown[0], "unknown field")
    if "url" not in item:
        raise InvalidRequestField("url", "is required")
    return build_request(**item, requested_by=requested_by)


def _field_error(prefix: str, error: BaseException) -> dict[str, str]:
    if not isinstance(error, InvalidURL | InvalidRequestField):
        raise error  # not a validation problem (a bug): let it surface as a 500
    metrics.REQUESTS_REJECTED.labels(rejection_reason(error)).inc()
    field = error.field if isinstance(error, InvalidRequestField) else "url"
    message = error.problem if isinstance(error, InvalidRequestField) else str(error).removeprefix("url: ")
    return {"field": (prefix + field).rstrip("."), "error": message}


async def _publish(publisher: RequestPublisher, records: list[Record]) -> list[Receipt]:
    """Every record's receipt, or ApiError 503 listing what was written and what failed. A missing
    request topic (the gateway started before `scrapestream topics create`) is named as such,
    whether it is known before sending or librdkafka fails the deliveries later."""
    futures, refused = await _send_all(publisher, records)
    outcomes: list[Receipt | BaseException] = await asyncio.gather(*futures, return_exceptions=True)
    outcomes += [refused] * (len(records) - len(futures))
    failed = [
        (index, outcome) for index, outcome in enumerate(outcomes) if isinstance(outcome, BaseException)
    ]
    if failed:
        missing = (o.missing_topic for _, o in failed if isinstance(o, DeliveryFailed) and o.missing_topic)
        cause = refused or next(missing, None)
        raise ApiError(
            503,
            str(cause) if cause else "the broker did not acknowledge every request; resend the failed ones",
            accepted=[r.request_id for r in outcomes if isinstance(r, Receipt)],
            failed=[{"index": index, "error": str(error)} for index, error in failed],
        )
    return outcomes


async def _send_all(
    publisher: RequestPublisher, records: list[Record]
) -> tuple[list[asyncio.Future[Receipt]], Exception | None]:
    """The delivery futures of the records handed to the publisher, and why the others were not (the
    topic does not exist, the gateway is shutting down), or None when every one was."""
    futures: list[asyncio.Future[Receipt]] = []
    try:
        if not publisher.topic_seen:
            await asyncio.to_thread(publisher.check_topic, BROKER_PROBE_TIMEOUT)
        for record in records:
            futures.append(await publisher.send_async(record))
    except TopicMissing as error:
        return futures, error
    except PublisherClosed:
        return futures, BrokerUnavailable("this gateway is shutting down; send to another one")
    return futures, None


# -- middleware -----------------------------------------------------------------------------
@web.middleware
async def _json_errors_and_metrics(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answers every error as JSON and counts every response by route template and status."""
    try:
        response = await handler(request)
    except ApiError as error:
        response = error.response()
    except web.HTTPException as error:  # aiohttp's own: 404, 405
        allow = {"Allow": error.headers["Allow"]} if "Allow" in error.headers else {}
        response = web.json_response({"error": error.reason}, status=error.status, headers=allow)
    except Exception:  # a bug: its traceback goes to the log, the client gets a JSON 500 all the same
        log.exception("%s %s failed", request.method, request.path)
        response = web.json_response({"error": "internal error (logged by the gateway)"}, status=500)
    _count(request, response.status)
    return response


def _count(request: web.Request, status: int) -> None:
    resource = request.match_info.route.resource
    route = resource.canonical if resource else "unmatched"  # never the raw path: unbounded labels
    metrics.GATEWAY_HTTP_REQUESTS.labels(route, str(status)).inc()
