"""Shop 2, "Kaufhaus Nord": JSON-LD Product/Offers plus OpenGraph, German UI, prices in EUR.

The visible HTML carries no structured markup, and the JSON-LD varies the way real sites do:
availability as https/http schema.org URLs or bare names, prices as strings or numbers, a
single Offer, a list of Offers (a dearer marketplace offer) or an AggregateOffer.
"""

from __future__ import annotations

import json

from demoshop.catalog import Category, Offer, ProductSnapshot, slugify
from demoshop.sites.base import Site
from demoshop.sites.common import (
    STOCK_TEXT,
    CategoryPage,
    PageContext,
    escaped,
    format_money,
    machine_price,
)

_AVAILABILITY_FORMS = ("https://schema.org/{}", "http://schema.org/{}", "{}")
_OG_AVAILABILITY = {
    "InStock": "in stock",
    "OutOfStock": "out of stock",
    "LimitedAvailability": "in stock",
    "PreOrder": "preorder",
    "BackOrder": "available for order",
}


def json_for_script(document: object) -> str:
    """JSON that cannot close its <script> element early."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


class JsonLdSite(Site):
    key = "jsonld"
    product_url = "/artikel/{slug}-{number}.html"
    legacy_url = "/a/{number}"
    category_url = "/kategorie/{slug}/seite-{page}"
    legacy_status = 302

    def _page(self, title: str, head_extra: str, body: str) -> str:
        return (
            '<!doctype html>\n<html lang="de"><head><meta charset="utf-8">'
            f"<title>{escaped(title)} &ndash; {self.name}</title>{head_extra}"
            '<link rel="stylesheet" href="/static/nord.css"></head>\n<body class="kn">'
            f'<div id="top"><a class="brand-logo" href="/">{self.name}</a>'
            f'<div class="nav-drawer">{self.menu}</div></div>\n'
            f'<div class="content">{body}</div>\n'
            '<div class="foot">Kaufhaus Nord GmbH &middot; <a href="/impressum">Impressum</a> &middot; '
            '<a href="/private/staff-prices">Mitarbeiterbereich</a></div></body></html>\n'
        )

    def _offer(self, offer: Offer, snapshot: ProductSnapshot) -> dict[str, object]:
        form = _AVAILABILITY_FORMS[snapshot.number % len(_AVAILABILITY_FORMS)]
        price: object = machine_price(offer.price_minor)
        if snapshot.number % 2:
            price = json.loads(price)  # a JSON number, as many sites emit it
        return {
            "@type": "Offer",
            "price": price,
            "priceCurrency": snapshot.currency,
            "availability": form.format(offer.availability),
            "seller": {"@type": "Organization", "name": offer.seller},
        }

    def _offers(self, snapshot: ProductSnapshot) -> object:
        if len(snapshot.offers) > 1:
            return [self._offer(offer, snapshot) for offer in snapshot.offers]
        if snapshot.number % 7 == 0:
            return {
                "@type": "AggregateOffer",
                "lowPrice": machine_price(snapshot.price_minor),
                "highPrice": machine_price(snapshot.price_minor),
                "offerCount": 1,
                "priceCurrency": snapshot.currency,
                "availability": f"https://schema.org/{snapshot.availability}",
            }
        return self._offer(snapshot.offers[0], snapshot)

    def _product_json(self, snapshot: ProductSnapshot, url: str, base_url: str) -> dict[str, object]:
        document: dict[str, object] = {
            "@context": "https://schema.org",
            "@type": "Product",
            "@id": f"{url}#product",
            "name": snapshot.title,
            "productID": snapshot.product_id,
            "sku": snapshot.sku,
            "brand": {"@type": "Brand", "name": snapshot.brand},
            "image": [f"{base_url}{snapshot.image_path}"],
            "description": snapshot.description,
            "category": " > ".join(snapshot.category_path),
            "offers": self._offers(snapshot),
            "additionalProperty": [
                {"@type": "PropertyValue", "name": name, "value": value}
                for name, value in snapshot.attributes
            ],
        }
        if snapshot.rating is not None:
            document["aggregateRating"] = {
                "@type": "AggregateRating",
                "ratingValue": str(snapshot.rating),
                "reviewCount": snapshot.review_count,
            }
        return document

    def _breadcrumb_json(self, category: Category, base_url: str) -> dict[str, object]:
        trail = [("Start", f"{base_url}/")] + [
            (name, f"{base_url}/#{slugify(name)}") for name in category.path[:-1]
        ]
        trail.append((category.path[-1], f"{base_url}{self.category_path(category)}"))
        return {
            "@context": "https://schema.org",
            "@type": "BreadcrumbList",
            "itemListElement": [
                {"@type": "ListItem", "position": position, "name": name, "item": href}
                for position, (name, href) in enumerate(trail, start=1)
            ],
        }

    def render_product(self, snapshot: ProductSnapshot, context: PageContext) -> str:
        product = self.catalog.get(snapshot.number)
        url = f"{context.base_url}{self.product_path(product)}"
        price = machine_price(snapshot.price_minor)
        head = (
            f'<link rel="canonical" href="{url}">'
            '<meta property="og:type" content="product">'
            f'<meta property="og:title" content="{escaped(snapshot.title)}">'
            f'<meta property="og:url" content="{url}">'
            f'<meta property="og:image" content="{context.base_url}{snapshot.image_path}">'
            f'<meta property="product:brand" content="{escaped(snapshot.brand)}">'
            f'<meta property="product:price:amount" content="{price}">'
            f'<meta property="product:price:currency" content="{snapshot.currency}">'
            f'<meta property="product:availability" content="{_OG_AVAILABILITY[snapshot.availability]}">'
            f'<meta property="product:retailer_item_id" content="{snapshot.product_id}">'
            '<script type="application/ld+json">'
            f"{json_for_script(self._product_json(snapshot, url, context.base_url))}</script>"
            '<script type="application/ld+json">'
            f"{json_for_script(self._breadcrumb_json(product.category, context.base_url))}</script>"
        )
        facts = "".join(f"<li>{escaped(name)}: {escaped(value)}</li>" for name, value in snapshot.attributes)
        stars = (
            f"{snapshot.rating} / 5 ({snapshot.review_count} Bewertungen)"
            if snapshot.rating is not None
            else "Keine Bewertungen"
        )
        body = (
            '<div class="crumbs"><a href="/">Start</a> &rsaquo; '
            f'<a href="{self.category_path(product.category)}">'
            f"{escaped(snapshot.category_path[-1])}</a></div>"
            f'<article class="pdp"><div class="pdp__gallery"><img src="{snapshot.image_path}" alt=""></div>'
            f'<div class="pdp__info"><h1 class="pdp__name">{escaped(snapshot.title)}</h1>'
            f'<div class="pdp__brand">Marke: {escaped(snapshot.brand)}</div>'
            f'<div class="pdp__stars">{stars}</div>'
            f'<div class="pdp__price">{format_money(snapshot.price_minor, snapshot.currency)}</div>'
            f'<div class="pdp__stock">{STOCK_TEXT["de"][snapshot.availability]}</div>'
            f'<div class="pdp__sku">Art.-Nr. {snapshot.sku}</div>'
            f'<ul class="pdp__facts">{facts}</ul>'
            f'<p class="pdp__text">{escaped(snapshot.description)}</p></div></article>'
            '<aside class="more"><h2>Das könnte Ihnen auch gefallen</h2>'
            f"<ul>{self.related_links(snapshot)}</ul></aside>"
        )
        return self._page(snapshot.title, head, body)

    def render_category(self, listing: CategoryPage, context: PageContext) -> str:
        item_list = {
            "@context": "https://schema.org",
            "@type": "ItemList",
            "itemListElement": [
                {"@type": "ListItem", "position": position, "url": f"{context.base_url}{href}"}
                for position, href in enumerate(listing.product_hrefs, start=1)
            ],
        }
        cards = "".join(
            f'<div class="card"><a href="{href}"><img src="{snapshot.image_path}" alt="">'
            f'<div class="card__title">{escaped(snapshot.title)}</div></a>'
            f'<div class="card__price">{format_money(snapshot.price_minor, snapshot.currency)}</div></div>'
            for snapshot, href in zip(listing.products, listing.product_hrefs, strict=True)
        )
        links, pager = self.pager(listing, "Zurück", "Weiter")
        head = f'{links}<script type="application/ld+json">{json_for_script(item_list)}</script>'
        title = escaped(listing.category.path[-1])
        body = f'<h1 class="cat-title">{title}</h1><div class="cards">{cards}</div>{pager}'
        return self._page(f"{listing.category.path[-1]}, Seite {listing.page}", head, body)

    def render_home(self, context: PageContext) -> str:
        return self._page("Willkommen", "", f"<h1>Willkommen bei {self.name}</h1>{self.menu}")
