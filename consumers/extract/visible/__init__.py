"""Visible-markup fallbacks: title, price, availability, SKU and brand as a shopper sees them.

The last source Extractor.product consults, for fields no profile or structured data filled:
many shops publish no JSON-LD, microdata or product meta tags, yet every product page shows a
heading, a price near it, stock wording and labelled values ("SKU: ...", "Marke: ...").

A page yields nothing here unless it looks like one product: it declares one (og:type product,
a schema.org Product), shows one unambiguous price near its heading, or shows no price but a
heading with a shop's signs of one product (a labelled SKU, exactly one add-to-cart button: a
sold-out page often hides its price). A category page shows many prices equally near its
heading (and many buttons), so it stays what it is: no product (None).

One module a concept; each imports only modules listed above it:
    shared    labels read from the page's visible text, and limits several modules use
    nearness  how near the heading an element is (steps up to a shared ancestor), price tiers
    heading   the product's heading (<h1>, else an <h2> or a name element) and its title
    prices    the price nearest the heading, else a labelled one
    stock     availability: stock elements, wording and labels, the add-to-cart button
    codes     the SKU and the brand: marked elements, labels, spec table rows, links
and visible_fields here, which reads a page with all of them.

Bounded for hostile pages: at most MAX_CANDIDATES elements of each kind are looked at, each
walks up at most MAX_WALK ancestors, the text of at most MAX_TEXTS price elements is read, and
each label regex makes one pass over the visible text; so the work is linear in the page
(tests/unit/test_extract_visible.py times pages of 2 MB built to be slow).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from consumers.extract.availability import Availability
from consumers.extract.page import Page
from consumers.extract.schemaorg import of_type
from consumers.extract.titles import normalised
from consumers.extract.values import node_text
from consumers.extract.visible.codes import (
    CODE_LABEL,
    brand,
    labelled_sku_extending,
    labelled_sku_instead,
    labelled_twice,
    linked_title_start,
    product_sku,
    shop_number,
    sku_without_label,
    url_sku,
)
from consumers.extract.visible.heading import (
    brand_over_name,
    echoed,
    heading_context,
    heading_text,
    name_element,
    page_title_text,
    page_titles,
    product_heading,
    product_title,
    subheading,
    without_badge,
)
from consumers.extract.visible.nearness import MAX_WALK, ancestor_steps
from consumers.extract.visible.prices import (
    MAX_PRICE_BLOCKS,
    MAX_TEXTS,
    page_currency,
    price_hints,
    price_line,
    visible_price,
)
from consumers.extract.visible.shared import MAX_CANDIDATES, labelled_value, text_lines
from consumers.extract.visible.stock import availability, cart_button, one_cart_button, orderable

if TYPE_CHECKING:
    from consumers.extract.profiles import SiteProfile

__all__ = [
    "MAX_CANDIDATES",
    "MAX_PRICE_BLOCKS",
    "MAX_TEXTS",
    "MAX_WALK",
    "heading_text",
    "labelled_sku_extending",
    "labelled_sku_instead",
    "page_currency",
    "page_titles",
    "sku_without_label",
    "visible_fields",
]

_PRODUCT_TYPES = frozenset({"product", "og:product", "product.item", "product.group"})


def visible_fields(page: Page, profile: SiteProfile | None = None) -> dict[str, object]:
    """Title, price, availability, SKU and brand from the visible page, or {} for a non-product.

    A page without a price still shows a product when its <h1> comes with a shop's signs of one:
    an add-to-cart button or a labelled SKU (a sold-out page often hides its price). A listing
    (many prices alike near the heading) never does."""
    tree = page.tree
    tags = page.meta_tags
    heading = product_heading(tree, page.site_names)
    named = None
    unechoed = heading is not None and not echoed(node_text(heading), tree, tags)
    if heading is None or unechoed:
        # No <h1>, or one the page's title does not repeat ('Free shipping above $35'): an <h2> it does
        sub, named = subheading(tree, tags, page.site_names)
        heading = sub or heading
        unechoed = unechoed and sub is None
    if heading is None:
        heading = name_element(tree, page.site_names)
    chain = ancestor_steps(heading)
    page_text = page.visible_text
    after = max(page_text.find(text_lines(heading)), 0) if heading is not None else 0
    hints = price_hints(page, profile)
    price, listing = visible_price(tree, chain, hints, page_text, after)
    button = cart_button(tree, chain)
    sku = None
    if price is None and not _declares_product(page, tags):
        if heading is None or heading_context(heading) not in ("", "product"):
            return {}
        sku = product_sku(tree, chain, page_text, after)
        code = sku or labelled_value(CODE_LABEL, page_text, after, str)  # an ISBN tells a product, too
        # Near a listing's prices (or recommendation tiles), only a single labelled SKU tells one product.
        single = code is not None and not labelled_twice(page_text)
        if not (single or (not listing and (code is not None or one_cart_button(tree, chain)))):
            return {}
    if price is None and not listing and heading is not None:
        price = price_line(tree, page_text, after, hints)
    title = named or product_title(tree, tags, heading, page.url)
    titled = product_title(tree, tags, None, page.url) if unechoed else None
    brand_line = None
    if titled and normalised(titled) in normalised(page_text):
        title = titled  # the <h1> is a banner; the page shows the name its title gives
    elif title and heading is not None and not named:
        page_title = page_title_text(tree, tags)
        title = without_badge(heading, title, page_title)
        if (split := brand_over_name(heading, page_title)) is not None:
            brand_line, title = split
    stock = availability(tree, chain, page_text, after, button)
    return {
        "title": title,
        "price": price,
        "availability": stock,
        # A backorder refines a structured out of stock only where the page takes orders.
        "_orderable": stock is not Availability.BACKORDER or orderable(tree, chain, button),
        "sku": sku
        or product_sku(tree, chain, page_text, after)
        or shop_number(page_text, after, page.site_names)
        or url_sku(page.url, profile),
        "brand": brand(tree, chain, page_text, after) or brand_line or linked_title_start(tree, title),
    }


def _declares_product(page: Page, tags: dict[str, str]) -> bool:
    if tags.get("og:type", "").strip().lower() in _PRODUCT_TYPES:
        return True
    if any(key.startswith(("product:price", "og:price")) for key in tags):
        return True
    return any(of_type(nodes, "Product") for nodes in (page.jsonld, page.microdata, page.rdfa))
