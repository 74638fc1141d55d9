"""The ScrapeTask record: requests of one domain and priority, for one scraper to take.

Built here only: the router batches requests into tasks, and a static scraper hands a page only a
browser can scrape to the browser lane as a task of one request.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any


def scrape_task(domain: str, priority: str, requests: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "task_id": uuid.uuid4(),
        "domain": domain,
        "priority": priority,
        "requests": requests,
        "created_at": datetime.now(UTC),
    }
