"""Category pages -> new ScrapeRequests for the product links and the next page (a crawl step).

The children inherit the parent's priority, render mode, freshness, correlation id and tags,
start at attempt 0, and say requested_by "crawl". The stream agents deduplicate them upstream.
Links that are not valid http(s) URLs are dropped here (they could never be fetched).
"""

from __future__ import annotations

from typing import Any

from consumers.extract import Links
from schemas import records
from scrapestream.urls import InvalidURL, canonicalize, domain_of

CRAWLER = "crawl"


def discovered_requests(links: Links, parent: dict[str, Any]) -> list[dict[str, Any]]:
    """ScrapeRequests for the product links (kind PRODUCT) and the next page (kind CATEGORY)."""
    found = [(url, "PRODUCT") for url in links.product_urls]
    if links.next_page:
        found.append((links.next_page, "CATEGORY"))
    requests, seen = [], set()
    for url, kind in found:
        try:
            canonical = canonicalize(url)
        except InvalidURL:
            continue
        if canonical not in seen:
            seen.add(canonical)
            requests.append(_child(canonical, kind, parent))
    return requests


def _child(canonical: str, kind: str, parent: dict[str, Any]) -> dict[str, Any]:
    return records.scrape_request(
        canonical,
        canonical,
        domain_of(canonical),
        kind=kind,
        priority=parent["priority"],
        render=parent["render"],
        freshness_seconds=parent["freshness_seconds"],
        requested_by=CRAWLER,
        correlation_id=parent.get("correlation_id"),
        tags=parent.get("tags") or {},
    )
