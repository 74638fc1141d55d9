"""The demo's seeded workload: category crawls and product URLs across the three demo shops.

Every product page is requested once directly, while the category crawls discover the same pages
again (the router drops those as duplicates); a share is requested twice more with tracking
parameters, and a few URLs are bad on purpose (the gateway rejects them, naming the reason).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from demoshop.catalog import Catalog
from demoshop.server import SITE_CLASSES

PRIORITIES = ("HIGH", "NORMAL", "NORMAL", "BULK")
BAD_URLS = (
    "ftp://files.example/catalogue.csv",
    "http://10.0.0.1/admin",
    "http://169.254.169.254/latest/meta-data/",
    "http://localhost:9/",
    "not a url",
)


@dataclass(frozen=True)
class Request:
    url: str
    kind: str = "PRODUCT"
    priority: str = "NORMAL"


@dataclass
class Workload:
    requests: list[Request] = field(default_factory=list)
    bad_urls: tuple[str, ...] = BAD_URLS

    def product_urls(self) -> list[str]:
        return sorted(
            {request.url for request in self.requests if request.kind == "PRODUCT" and "?" not in request.url}
        )


def seeded_workload(catalog: Catalog, shop_urls: dict[str, str], seed: int = 7, crawls: int = 2) -> Workload:
    rng = random.Random(seed)
    workload = Workload()
    for shop, base in shop_urls.items():
        site = SITE_CLASSES[shop](catalog)
        for category in rng.sample(catalog.categories, crawls):
            workload.requests.append(Request(base + site.category_path(category), "CATEGORY", "BULK"))
        for product in catalog.products:
            url = base + site.product_path(product)
            workload.requests.append(Request(url, priority=rng.choice(PRIORITIES)))
            if rng.random() < 0.1:
                workload.requests.append(Request(f"{url}?utm_source=newsletter", priority="NORMAL"))
    rng.shuffle(workload.requests)
    return workload
