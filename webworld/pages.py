"""The HTML a domain serves: a home page listing its products, and product pages.

home_page(host, products) -> str    links to every product, disallowed ones included
product_page(product) -> str        schema.org Product JSON-LD plus a visible <h1> and price
"""

from __future__ import annotations

import json
from html import escape

from webworld.catalog import Product


def home_page(host: str, products: list[Product]) -> str:
    items = "".join(
        f'<li><a href="{escape(product.path)}">{escape(product.title)}</a> {escape(product.price_text)}</li>'
        for product in products
    )
    return _document(f"Shop at {host}", f"<h1>Shop at {escape(host)}</h1><ul>{items}</ul>")


def product_page(product: Product) -> str:
    availability = "InStock" if product.in_stock else "OutOfStock"
    document = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.title,
        "sku": product.sku,
        "brand": {"@type": "Brand", "name": product.brand},
        "offers": {
            "@type": "Offer",
            "price": str(product.price),
            "priceCurrency": product.currency,
            "availability": f"https://schema.org/{availability}",
        },
    }
    # "</" cannot occur in our titles, but escaping it keeps the script element closed whatever they hold.
    json_ld = json.dumps(document, ensure_ascii=False).replace("</", "<\\/")
    body = (
        f"<h1>{escape(product.title)}</h1>"
        f'<p class="price">{escape(product.price_text)}</p>'
        f"<p>{'In stock' if product.in_stock else 'Out of stock'}</p>"
        '<p><a href="/">All products</a></p>'
    )
    return _document(product.title, body, f'<script type="application/ld+json">{json_ld}</script>')


def _document(title: str, body: str, head: str = "") -> str:
    return (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"{head}</head>\n<body>{body}</body></html>\n"
    )
