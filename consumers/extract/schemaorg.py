"""schema.org vocabulary -> ProductData fields, shared by the JSON-LD and microdata readers.

Both readers turn their markup into the same shape (dicts with '@type', properties holding a
value or a list of values), so Product, Offer, AggregateRating and BreadcrumbList are read once.

Several offers: the cheapest one in the first offer's currency is the product's price, and its
availability the product's; an AggregateOffer gives its lowPrice.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import Any

from consumers.extract.availability import Availability, normalise_availability
from consumers.extract.price import Price, PriceError, price_from_value
from consumers.extract.values import (
    absolute_url,
    as_list,
    clean_text,
    first,
    split_category,
    to_count,
    to_float,
)

Node = dict[str, Any]
_MAX_NODES = 5_000  # a walk bound, so hostile JSON cannot make extraction slow


def types(node: Node) -> set[str]:
    """Short type names: 'https://schema.org/Product' and 'schema:Product' -> 'Product'."""
    return {str(kind).rsplit("/", 1)[-1].rsplit(":", 1)[-1] for kind in as_list(node.get("@type"))}


def of_type(nodes: list[Node], wanted: str) -> list[Node]:
    """The nodes of type `wanted` ('Product', 'BreadcrumbList', 'ItemList'), in their order."""
    return [node for node in nodes if wanted in types(node)]


def walk(document: object) -> Iterator[Node]:
    """Every dict in a JSON-LD document (top level, @graph, nested), breadth first, bounded."""
    queue = deque([document])
    seen = 0
    while queue and seen < _MAX_NODES:
        item = queue.popleft()
        seen += 1
        if isinstance(item, dict):
            yield item
            queue.extend(value for value in item.values() if isinstance(value, (dict, list)))
        elif isinstance(item, list):
            queue.extend(item)


def product_fields(node: Node, base_url: str) -> dict[str, object]:
    """The ProductData fields a schema.org Product node carries."""
    found: dict[str, object] = {
        "title": clean_text(node.get("name")),
        "product_id": clean_text(node.get("productID")),
        "sku": clean_text(node.get("sku")),
        "brand": clean_text(node.get("brand")),
        "image_url": absolute_url(first(node.get("image")), base_url),
    }
    price, availability = best_offer(node.get("offers"))
    found["price"] = price
    found["availability"] = availability or normalise_availability(clean_text(node.get("availability")))
    rating = first(node.get("aggregateRating"))
    if isinstance(rating, dict):
        found["rating"] = to_float(rating.get("ratingValue"))
        found["review_count"] = to_count(rating.get("reviewCount") or rating.get("ratingCount"))
    found["category_path"] = split_category(clean_text(node.get("category")))
    found["attributes"] = {
        name: value
        for prop in as_list(node.get("additionalProperty"))
        if isinstance(prop, dict)
        and (name := clean_text(prop.get("name")))
        and (value := clean_text(prop.get("value")))
    }
    return found


def best_offer(offers: object) -> tuple[Price | None, Availability | None]:
    """(price, availability) of the cheapest offer; see the module docstring."""
    priced: list[tuple[Price, Availability | None]] = []
    fallback_availability = None
    for offer in _flatten_offers(offers):
        availability = normalise_availability(clean_text(offer.get("availability")))
        fallback_availability = fallback_availability or availability
        price = _offer_price(offer)
        if price is not None:
            priced.append((price, availability))
    if not priced:
        return None, fallback_availability
    currency = priced[0][0].currency
    price, availability = min(
        (item for item in priced if item[0].currency == currency), key=lambda i: i[0].minor
    )
    return price, availability or fallback_availability


def _flatten_offers(offers: object) -> Iterator[Node]:
    for offer in as_list(offers):
        if isinstance(offer, dict):
            yield offer
            yield from _flatten_offers(offer.get("offers"))


def _offer_price(offer: Node) -> Price | None:
    specification = first(offer.get("priceSpecification"))
    specification = specification if isinstance(specification, dict) else {}
    amount = first(offer.get("price") or offer.get("lowPrice") or specification.get("price"))
    currency = clean_text(offer.get("priceCurrency") or specification.get("priceCurrency"))
    if amount is None or amount == "":
        return None
    try:
        return price_from_value(amount, currency)
    except PriceError:
        return None


def breadcrumb_names(node: Node) -> list[str | None]:
    """Crumb names of a BreadcrumbList, ordered by position when positions are given."""
    elements = [item for item in as_list(node.get("itemListElement")) if isinstance(item, dict)]
    elements.sort(key=lambda item: to_count(item.get("position")) or 0)
    return [clean_text(item.get("name") or _thing_name(item.get("item"))) for item in elements]


def _thing_name(thing: object) -> object:
    """A crumb's `item` names it only when it is a Thing; a bare URL is no name."""
    return thing.get("name") if isinstance(thing, dict) else None


def item_list_urls(node: Node, base_url: str) -> list[str]:
    """URLs of an ItemList's elements: ListItem.url, ListItem.item (URL or Thing), or a Thing's url."""
    urls = []
    for element in as_list(node.get("itemListElement")):
        target = element
        if isinstance(element, dict):
            target = element.get("url") or element.get("item")
            if isinstance(target, dict):
                target = target.get("url") or target.get("@id")
        url = absolute_url(target, base_url)
        if url:
            urls.append(url)
    return urls
