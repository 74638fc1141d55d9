"""Shop 3, "Gadgetry": a JavaScript app, prices in GBP.

The served HTML holds only the title, breadcrumbs and image; /static/app.js fetches
/api/products/<number>.json and writes brand, ids, price, stock and rating into the DOM, then
sets `data-state="ready"` on #app. Without a browser there is no price to scrape.
Category pages are plain HTML (no structured data, no rel=next): a site profile finds the links.
"""

from __future__ import annotations

from demoshop.catalog import ProductSnapshot, slugify
from demoshop.sites.base import Site
from demoshop.sites.common import (
    STOCK_TEXT,
    CategoryPage,
    PageContext,
    escaped,
    format_money,
    machine_price,
)


class JsSite(Site):
    key = "js"
    product_url = "/app/product/{number}"
    legacy_url = "/go/{number}"
    category_url = "/category/{slug}?p={page}"
    legacy_status = 301

    def _page(self, title: str, body: str) -> str:
        return (
            '<!doctype html>\n<html lang="en-GB"><head><meta charset="utf-8">'
            f"<title>{escaped(title)} · {self.name}</title>"
            '<script src="/static/app.js" defer></script></head>\n<body>'
            f'<header><a href="/">{self.name}</a>'
            f"<details><summary>Shop</summary>{self.menu}</details></header>\n"
            f"{body}\n"
            '<footer><a href="/private/staff-prices">Staff</a></footer></body></html>\n'
        )

    def render_product(self, snapshot: ProductSnapshot, context: PageContext) -> str:
        crumbs = "".join(
            f'<a href="/#{slugify(name)}">{escaped(name)}</a>' for name in snapshot.category_path
        )
        body = (
            f'<div id="app" data-product-id="{snapshot.number}" data-state="loading">'
            f'<nav class="crumbs">{crumbs}</nav>'
            f'<h1 class="pdp-title">{escaped(snapshot.title)}</h1>'
            f'<img class="pdp-image" src="{snapshot.image_path}" alt="">'
            '<div class="pdp-meta"><span class="pdp-brand"></span> <span class="pdp-sku"></span></div>'
            '<div class="pdp-price"></div><div class="pdp-stock"></div><div class="pdp-rating"></div>'
            "<noscript>Please enable JavaScript to see prices and stock.</noscript></div>"
        )
        return self._page(snapshot.title, body)

    def api_document(self, snapshot: ProductSnapshot, context: PageContext) -> dict[str, object]:
        """What /api/products/<number>.json returns and app.js renders."""
        return {
            "id": snapshot.product_id,
            "sku": snapshot.sku,
            "title": snapshot.title,
            "brand": snapshot.brand,
            "price": machine_price(snapshot.price_minor),
            "currency": snapshot.currency,
            "price_display": format_money(snapshot.price_minor, snapshot.currency),
            "availability": snapshot.availability,
            "availability_text": STOCK_TEXT["en"][snapshot.availability],
            "rating": None if snapshot.rating is None else str(snapshot.rating),
            "review_count": snapshot.review_count,
            "image": f"{context.base_url}{snapshot.image_path}",
        }

    def render_category(self, listing: CategoryPage, context: PageContext) -> str:
        tiles = "".join(
            f'<a class="tile-link" href="{href}">{escaped(snapshot.title)}</a>'
            for snapshot, href in zip(listing.products, listing.product_hrefs, strict=True)
        )
        pager = ""
        if listing.page < listing.page_count:
            following = self.category_path(listing.category, listing.page + 1)
            pager = f'<a class="pager-next" href="{following}">More</a>'
        body = f"<h1>{escaped(listing.category.path[-1])}</h1><div class='tiles'>{tiles}</div>{pager}"
        return self._page(listing.category.path[-1], body)

    def render_home(self, context: PageContext) -> str:
        return self._page("Home", f"<h1>{self.name}</h1>{self.menu}")
