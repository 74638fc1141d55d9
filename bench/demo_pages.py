"""Product pages of the demo shop's static shops with the catalogue's truth: extraction's scored
pages (bench.extraction_score) and timed pages (bench.extract_bench), rendered without a server.
"""

from __future__ import annotations

from decimal import Decimal

from bench.corpus import LabelledPage
from bench.markup_variants import strip_structured
from demoshop.catalog import CONTRACT_AVAILABILITY, Catalog
from demoshop.server import SITE_CLASSES
from demoshop.sites.common import PageContext

DEMO_SHOPS = ("microdata", "jsonld")  # static HTML; the JS shop renders in a browser
DEMO_EPOCH = 17
DEMO_CATALOGUE = 10_000


def demo_pages(count: int, structured: bool = True) -> list[LabelledPage]:
    """`count` product pages of the demo shop's static shops (alternating), with the catalogue's truth.

    Rendered directly by the shops' templates, no server: the same HTML the shop serves. The
    expected offer is the one extraction must take from the structured data (`taken_offer`: the
    cheapest buyable one); with the structured data stripped, the shop's own offer, the one the
    page shows.
    """
    per_shop = -(-count // len(DEMO_SHOPS))
    catalog = Catalog(seed=42, size=max(DEMO_CATALOGUE, per_shop))
    step = catalog.size // max(per_shop, 1)  # spread over the catalogue: every price range and stock state
    base_url = "http://127.0.0.1:8600"
    context = PageContext(catalog, DEMO_EPOCH, base_url)
    pages = []
    for index in range(count):
        shop = DEMO_SHOPS[index % len(DEMO_SHOPS)]
        number = 1 + index // len(DEMO_SHOPS) * step
        site = SITE_CLASSES[shop](catalog)
        truth = catalog.product(number, DEMO_EPOCH, shop)
        offer = truth.taken_offer if structured else truth.offers[0]
        text = site.render_product(truth, context)
        pages.append(
            LabelledPage(
                name=f"demo/{shop}/{number}",
                url=base_url + site.product_path(catalog.get(number)),
                html=text if structured else strip_structured(text),
                expected={
                    "title": truth.title,
                    "price": f"{Decimal(offer.price_minor).scaleb(-2)}",
                    "currency": truth.currency,
                    "availability": CONTRACT_AVAILABILITY[offer.availability],
                    "sku": truth.sku,
                    "brand": truth.brand,
                },
            )
        )
    return pages
