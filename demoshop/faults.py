"""Fault injection: which page request misbehaves, and how a broken page is made.

Decisions are deterministic: permanent faults hash (seed, path), transient ones hash
(seed, path, n) where n counts the requests for that path, so a run replays identically.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass

from aiohttp import web

from demoshop.catalog import unit_interval
from demoshop.config import FaultConfig

HTML_TYPE = "text/html"
_TRACKED_PATHS_LIMIT = 200_000
_PDF_BODY = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


class FaultPlan:
    """Answers "should this request fail, and how?" for one shop run."""

    def __init__(self, config: FaultConfig, seed: int) -> None:
        self.config = config
        self._seed = seed
        self._requests_per_path: Counter[str] = Counter()
        self._padding = b""

    def permanent_fault(self, path: str) -> str | None:
        """'not_found', a broken-page kind, or None: always the same answer for a path."""
        point = unit_interval(self._seed, "permanent", path)
        for fault, rate in self.config.permanent_bands():
            if point < rate:
                return fault
            point -= rate
        return None

    def transient_fault(self, path: str) -> tuple[str | None, float]:
        """('throttle' | 'unavailable' | None, delay in seconds) for this request of `path`."""
        if len(self._requests_per_path) > _TRACKED_PATHS_LIMIT:
            self._requests_per_path.clear()
        self._requests_per_path[path] += 1
        nth = self._requests_per_path[path]
        delay = 0.0
        if unit_interval(self._seed, "latency", path, nth) < self.config.latency_rate:
            delay = self.config.latency_ms / 1000 * (0.5 + unit_interval(self._seed, "jitter", path, nth))
        point = unit_interval(self._seed, "transient", path, nth)
        if point < self.config.throttle_rate:
            return "throttle", delay
        if point < self.config.throttle_rate + self.config.unavailable_rate:
            return "unavailable", delay
        return None, delay

    def uses_legacy_link(self, number: int) -> bool:
        """Whether category pages link this product through a redirecting legacy URL."""
        return unit_interval(self._seed, "legacy", number) < self.config.redirect_rate

    def retry_later(self, fault: str) -> web.Response:
        status, reason = (429, "Too Many Requests") if fault == "throttle" else (503, "Service Unavailable")
        return retry_response(status, reason, self.config.retry_after_seconds)

    def break_page(self, kind: str, html: str, path: str) -> web.Response:
        """Turn a good page into the broken variant `kind` (see FaultConfig)."""
        if kind == "truncated":
            body = html.encode()
            cut = int(len(body) * (0.3 + 0.5 * unit_interval(self._seed, "cut", path)))
            return web.Response(body=body[:cut], headers={"Content-Type": f"{HTML_TYPE}; charset=utf-8"})
        if kind == "bad_charset":
            body = html.encode("cp1252", errors="xmlcharrefreplace")
            return web.Response(body=body, headers={"Content-Type": f"{HTML_TYPE}; charset=utf-8"})
        if kind == "meta_charset":
            relabelled = html.replace('<meta charset="utf-8">', '<meta charset="windows-1252">', 1)
            return web.Response(
                body=relabelled.encode("cp1252", errors="xmlcharrefreplace"),
                headers={"Content-Type": HTML_TYPE},
            )
        if kind == "huge":
            head, _, tail = html.rpartition("</body>")
            body = head.encode() + self._huge_padding() + b"</body>" + tail.encode()
            return web.Response(body=body, headers={"Content-Type": f"{HTML_TYPE}; charset=utf-8"})
        if kind == "wrong_type":
            return web.Response(body=_PDF_BODY, headers={"Content-Type": "application/pdf"})
        raise ValueError(f"unknown broken-page kind {kind!r}")

    def _huge_padding(self) -> bytes:
        """Hidden review filler, built once: the size is what matters, not the words."""
        if len(self._padding) != self.config.huge_page_bytes:
            review = b'<div class="review" hidden><p>Great value, would buy again.</p></div>\n'
            self._padding = (review * (self.config.huge_page_bytes // len(review) + 1))[
                : self.config.huge_page_bytes
            ]
        return self._padding


def retry_response(status: int, reason: str, retry_after_seconds: float) -> web.Response:
    return web.Response(
        status=status,
        text=f"{status} {reason}\n",
        headers={"Retry-After": str(max(0, round(retry_after_seconds)))},
    )


@dataclass
class Outage:
    """A shop answering 503 ('error') or hanging ('timeout') until `until` (monotonic time)."""

    mode: str
    until: float

    def remaining(self) -> float:
        return max(0.0, self.until - time.monotonic())
