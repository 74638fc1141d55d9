"""Settings of the demo shop: catalogue, ports, clock and fault injection.

The demo shop is a test fixture, not part of the pipeline, so its settings live here rather than
in `scrapestream.config`; the `scrapestream demo-shop` command maps its flags onto these.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from demoshop.catalog import SHOPS

DEFAULT_PORTS = {"microdata": 8601, "jsonld": 8602, "js": 8603}
BROKEN_KINDS = ("truncated", "bad_charset", "meta_charset", "huge", "wrong_type")


class DemoShopConfigError(ValueError):
    """A demo shop setting is out of range; the message names it."""


@dataclass(frozen=True)
class FaultConfig:
    """Shares of page requests (product and category pages) that misbehave.

    Permanent faults are chosen per URL path, so the same page is always broken the same way:
    `not_found_rate` and the broken-page kinds. Transient faults are chosen per (path, n-th
    request for it), so a retry may succeed: `throttle_rate` (429), `unavailable_rate` (503),
    both with `Retry-After: retry_after_seconds`, and `latency_rate` (a delay of
    `latency_ms` ± 50 %). `redirect_rate` is the share of product links on category pages that
    point at a legacy URL answering 301 or 302 with the canonical page.

    Broken-page kinds: truncated HTML (cut mid-document), bad_charset (cp1252 body while the
    header says utf-8), meta_charset (no charset in the header, `<meta charset=windows-1252>`
    and a cp1252 body: valid but needs sniffing), huge (`huge_page_bytes` of padding) and
    wrong_type (a PDF instead of HTML).
    """

    latency_rate: float = 0.0
    latency_ms: int = 50
    not_found_rate: float = 0.0
    redirect_rate: float = 0.0
    throttle_rate: float = 0.0
    unavailable_rate: float = 0.0
    retry_after_seconds: int = 1
    truncated_rate: float = 0.0
    bad_charset_rate: float = 0.0
    meta_charset_rate: float = 0.0
    huge_rate: float = 0.0
    wrong_type_rate: float = 0.0
    huge_page_bytes: int = 5_000_000

    def __post_init__(self) -> None:
        for item in fields(self):
            if item.name.endswith("_rate") and not 0.0 <= getattr(self, item.name) <= 1.0:
                raise DemoShopConfigError(
                    f"{item.name} must be a fraction in [0, 1], got {getattr(self, item.name)}"
                )
        if self.permanent_total() > 1.0:
            raise DemoShopConfigError("not_found_rate plus the broken-page rates exceed 1")
        if self.throttle_rate + self.unavailable_rate > 1.0:
            raise DemoShopConfigError("throttle_rate plus unavailable_rate exceed 1")
        for name in ("latency_ms", "retry_after_seconds", "huge_page_bytes"):
            if getattr(self, name) < 0:
                raise DemoShopConfigError(f"{name} must not be negative, got {getattr(self, name)}")

    @classmethod
    def with_broken_rate(cls, broken_rate: float, **others: float) -> FaultConfig:
        """Spread `broken_rate` evenly over the broken-page kinds."""
        share = broken_rate / len(BROKEN_KINDS)
        return cls(**{f"{kind}_rate": share for kind in BROKEN_KINDS}, **others)  # type: ignore[arg-type]

    def permanent_bands(self) -> list[tuple[str, float]]:
        """(fault, rate) for the per-URL faults, in the order their bands are laid out."""
        return [("not_found", self.not_found_rate)] + [
            (kind, getattr(self, f"{kind}_rate")) for kind in BROKEN_KINDS
        ]

    def permanent_total(self) -> float:
        return sum(rate for _, rate in self.permanent_bands())


@dataclass(frozen=True)
class DemoShopConfig:
    """Everything a demo shop run needs. Port 0 picks a free port (tests)."""

    seed: int = 42
    products: int = 10_000
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    epoch_seconds: float = 300.0
    start_epoch: int = 0
    page_size: int = 24
    faults: FaultConfig = field(default_factory=FaultConfig)

    def __post_init__(self) -> None:
        unknown = set(self.ports) - set(SHOPS)
        if unknown:
            raise DemoShopConfigError(
                f"ports: unknown shop(s) {', '.join(sorted(unknown))}; shops are {SHOPS}"
            )
        for shop, port in self.ports.items():
            if not 0 <= port < 65536:
                raise DemoShopConfigError(f"ports: {shop} port {port} is outside 0-65535")
        if self.products < 1:
            raise DemoShopConfigError(f"products must be at least 1, got {self.products}")
        if self.page_size < 1:
            raise DemoShopConfigError(f"page_size must be at least 1, got {self.page_size}")
        if self.epoch_seconds < 0:
            raise DemoShopConfigError(
                f"epoch_seconds must be >= 0 (0 = only the admin moves it), got {self.epoch_seconds}"
            )
