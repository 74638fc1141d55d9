"""What a scrape attempt can end in: a response, or a ScrapeFailure carrying the result status.

Every stage raises ScrapeFailure for a request it cannot complete, so the engine turns each
request into exactly one ScrapeResult whatever went wrong. The status vocabulary is the Avro
ScrapeStatus enum.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum


class Status(StrEnum):
    """The same symbols as the Avro ScrapeStatus enum."""

    OK = "OK"
    NOT_FOUND = "NOT_FOUND"
    BLOCKED = "BLOCKED"
    ERROR = "ERROR"
    TIMEOUT = "TIMEOUT"
    SKIPPED_ROBOTS = "SKIPPED_ROBOTS"


class ScrapeFailure(Exception):
    """A request that ends without a usable page.

    `retryable`: another attempt may succeed (timeouts, connection errors, 429, 5xx).
    `domain_fault`: the domain itself looks unhealthy; counts towards its circuit breaker.
    `retry_after`: seconds the server asked us to wait (Retry-After), if it said.
    """

    def __init__(
        self,
        status: Status,
        message: str,
        *,
        http_status: int | None = None,
        retryable: bool = False,
        domain_fault: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.http_status = http_status
        self.retryable = retryable
        self.domain_fault = domain_fault
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Response:
    """A fetched page. `url` is the final URL after redirects; `headers` use lower-case names."""

    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes
    fetch_ms: int = 0


def http_failure(response: Response) -> ScrapeFailure | None:
    """The failure a non-2xx final status means, or None for a success."""
    status = response.status
    if 200 <= status < 300:
        return None
    message = f"HTTP {status}"
    if status in (404, 410):
        return ScrapeFailure(Status.NOT_FOUND, message, http_status=status)
    if status == 429:
        return ScrapeFailure(
            Status.BLOCKED,
            message,
            http_status=status,
            retryable=True,
            retry_after=parse_retry_after(response.headers.get("retry-after")),
        )
    if status in (401, 403):
        return ScrapeFailure(Status.BLOCKED, message, http_status=status)
    if status >= 500:
        return ScrapeFailure(
            Status.ERROR,
            message,
            http_status=status,
            retryable=status in (500, 502, 503, 504),
            domain_fault=True,
            retry_after=parse_retry_after(response.headers.get("retry-after")),
        )
    return ScrapeFailure(Status.ERROR, message, http_status=status)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); None when absent or bad."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
