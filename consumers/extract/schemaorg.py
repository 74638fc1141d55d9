"""schema.org vocabulary -> ProductData fields, shared by the JSON-LD, microdata and RDFa readers.

The readers turn their markup into the same shape (dicts with '@type' and maybe '@id',
properties holding a value or a list of values, nested things as nested dicts), so Product,
Offer, AggregateRating and BreadcrumbList are read once, here.

Products: every type of schema.org's Product subtree counts (PRODUCT_TYPES), also inside a
@type list. A reference {"@id": "#x"} is resolved to the node of the same page that has that
@id (deref). When a page holds several products (related products, a carousel), main_product
picks one: see its docstring.

Offers (best_offer), the rule:
1. The offers are the product's `offers` (data-vocabulary.org's `offerDetails`, its `currency`
   read as `priceCurrency`; an AggregateOffer's own `offers` stand for it when any
   of them has a price), else the Offers whose `itemOffered` is the product, else the offers
   of a ProductGroup's variants (`hasVariant`).
2. An offer's price: `price`; else the selling price of its `priceSpecification` (the one
   without a `priceType` or with SalePrice, before the list prices: ListPrice,
   StrikethroughPrice, MSRP, SRP); else an AggregateOffer's `lowPrice`; else the list price.
   A `price` equal to a list price gives way to a sale price in the specification.
3. The product's main currency is the first currency among its offers; offers in another
   currency are left out, offers without one are taken to be in it.
4. The representative offer is the first of the most buyable ones: in stock (IN_STOCK,
   LIMITED, or no availability given) before orderable (PREORDER, BACKORDER) before the rest.
   The first, not the cheapest: shops list the variant they show first, and a product's
   offers may run on into related items' cheaper ones. Its price is the product's price, its
   availability the product's (IN_STOCK when it gives none but another offer is in stock), its
   `sku` the product's when the product has none. A price of zero is a placeholder: any other
   amount of the offer (its specification's, its lowPrice) and any other offer's price beat it.
5. Except: the one offer the page's URL names in its query (a variant's url, 'p?variant=42' of
   'p?variant=42&utm=x'; or its sku, 'p?sku=SS24') is the variant the page shows, whatever its
   stock.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from consumers.extract.availability import Availability, stated_availability, stock_rank
from consumers.extract.price import Price
from consumers.extract.values import (
    NO_BRAND,
    absolute_url,
    as_list,
    clean_text,
    currency_code,
    first,
    is_blank,
    same_amount,
    split_category,
    structured_price,
    to_count,
    to_float,
    url_key,
)

Node = dict[str, Any]
_MAX_NODES = 5_000  # a walk bound, so hostile JSON cannot make extraction slow
_MAX_OFFERS = 500  # offers looked at per product (a size x colour grid has a few hundred at most)
_MAX_OFFER_DEPTH = 4  # AggregateOffer -> offers -> ...: real pages nest two levels

# schema.org's Product and every type below it (Vehicle's subtypes included), plus Book, which
# shops mark up as a product with offers although schema.org files it under CreativeWork.
PRODUCT_TYPES = frozenset(
    {
        "Product",
        "DietarySupplement",
        "Drug",
        "IndividualProduct",
        "ProductCollection",
        "ProductGroup",
        "ProductModel",
        "SomeProducts",
        "Vehicle",
        "BusOrCoach",
        "Car",
        "Motorcycle",
        "MotorizedBicycle",
        "Book",
    }
)
_LIST_PRICE_TYPES = frozenset({"listprice", "strikethroughprice", "msrp", "srp", "minimumadvertisedprice"})
_REFERENCE_KEYS = frozenset({"@id", "@type", "@context"})


# The types read here, by their case-folded names: shops write '"@type": "product"' or "offer".
_KNOWN_TYPES = {
    name.casefold(): name
    for name in PRODUCT_TYPES
    | {"Offer", "AggregateOffer", "BreadcrumbList", "ItemList", "ListItem", "Brand", "Organization"}
}


@lru_cache(maxsize=4096)
def _short_type(kind: str) -> str:
    """The type's short name ('http://schema.org/Product/' too); a type read here in its
    schema.org spelling whatever its case."""
    short = kind.strip().rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1].rsplit(":", 1)[-1]
    return _KNOWN_TYPES.get(short.casefold(), short)


def types(node: Node) -> set[str]:
    """Short type names: 'https://schema.org/Product' and 'schema:Product' -> 'Product'."""
    kind = node.get("@type")
    if isinstance(kind, str):  # the usual case
        return {_short_type(kind)}
    return {_short_type(str(kind)) for kind in as_list(kind)}


def short_types(kinds: list[str]) -> str | list[str]:
    """'@type' as the markup readers store it: the short name of a single type, else the short
    names sorted and without repeats."""
    if len(kinds) == 1:
        return _short_type(kinds[0])
    return sorted({_short_type(kind) for kind in kinds})


def has_type(node: Node, wanted: str) -> bool:
    kind = node.get("@type")
    if isinstance(kind, str):
        return _short_type(kind) == wanted
    return isinstance(kind, list) and any(
        isinstance(item, str) and _short_type(item) == wanted for item in kind
    )


def of_type(nodes: list[Node], wanted: str) -> list[Node]:
    """The nodes of type `wanted` ('Product', 'BreadcrumbList', 'ItemList'), in their order."""
    return [node for node in nodes if has_type(node, wanted)]


def is_product(node: Node) -> bool:
    """Whether the node is of a type in PRODUCT_TYPES (one of its types, when it has several)."""
    kind = node.get("@type")
    if isinstance(kind, str):
        return _short_type(kind) in PRODUCT_TYPES
    return isinstance(kind, list) and any(
        isinstance(item, str) and _short_type(item) in PRODUCT_TYPES for item in kind
    )


def walk(document: object) -> Iterator[Node]:
    """Every dict in a JSON-LD document (top level, @graph, nested), breadth first, bounded."""
    queue = deque([document])
    seen = 0
    while queue and seen < _MAX_NODES:
        item = queue.popleft()
        seen += 1
        if isinstance(item, dict):
            yield item
            queue.extend([value for value in item.values() if isinstance(value, (dict, list))])
        elif isinstance(item, list):
            queue.extend(item)


# -- references -------------------------------------------------------------------------------
def id_index(nodes: list[Node]) -> dict[str, Node]:
    """@id -> the first node with that @id that is more than a reference to it."""
    index: dict[str, Node] = {}
    for node in nodes:
        key = node.get("@id")
        if isinstance(key, str) and key not in index and not node.keys() <= _REFERENCE_KEYS:
            index[key] = node
    return index


def deref(value: object, index: Mapping[str, Node]) -> object:
    """The node a reference {"@id": ...} points to, when the page has it; else `value` itself.
    One step only, never recursively: references may form cycles."""
    if index and isinstance(value, dict) and value.keys() <= _REFERENCE_KEYS:
        key = value.get("@id")
        if isinstance(key, str):
            return index.get(key, value)
    return value


def _offers_of(node: Node) -> object:
    """A product's offers: `offers`, or `offerDetails` in Google's data-vocabulary.org (2009-2020)."""
    return node.get("offers") or node.get("offerDetails")


# -- which product ----------------------------------------------------------------------------
def main_product(
    nodes: list[Node], index: Mapping[str, Node], base_url: str, page_keys: Callable[[], set[str]]
) -> Node | None:
    """The page's own product among its product nodes:
    1. the first whose url, @id or mainEntityOfPage is the page's URL or canonical URL (compared
       by url_key), or that a node declares its mainEntity; a ProductGroup's variant found so
       gives its group (whose offers are its variants', the page URL's among them: best_offer);
    2. else the first top-level one with offers (top-level: not a property value of another
       node, except the itemOffered of a top-level Offer);
    3. else the first top-level one; 4. else the first with offers; 5. else the first.
    `page_keys` gives the url_keys of the page's URLs; it is called only for a choice."""
    candidates = [node for node in nodes if is_product(node)]
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    keys = page_keys()
    declared = {id(deref(entity, index)) for node in nodes for entity in as_list(node.get("mainEntity"))}
    groups = {
        id(deref(variant, index)): node for node in candidates for variant in as_list(node.get("hasVariant"))
    }
    for node in candidates:
        if id(node) in declared or not keys.isdisjoint(_own_url_keys(node, index, base_url)):
            return groups.get(id(node), node)  # a variant stands for its group (its offers name it)
    offered = _offered_products(nodes, index)
    nested = _nested(nodes, index)
    top = [node for node in candidates if id(node) not in nested]
    for group in (top, candidates):
        with_offers = [node for node in group if _offers_of(node) or id(node) in offered]
        if with_offers:
            return with_offers[0]
        if group:
            return group[0]
    return candidates[0]


def _own_url_keys(node: Node, index: Mapping[str, Node], base_url: str) -> set[str]:
    keys = set()
    for value in (node.get("url"), node.get("@id"), node.get("mainEntityOfPage")):
        for item in as_list(value):
            item = deref(item, index)
            if isinstance(item, dict):
                item = item.get("url") or item.get("@id")
            key = url_key(absolute_url(item, base_url))
            if key:
                keys.add(key)
    return keys


def _nested(nodes: list[Node], index: Mapping[str, Node]) -> set[int]:
    """ids of the nodes that are a property value of another node (an @graph member is not)."""
    nested: set[int] = set()
    for node in nodes:
        for key, value in node.items():
            if key == "@graph":
                continue
            for item in value if isinstance(value, list) else (value,):
                if isinstance(item, dict):
                    nested.add(id(deref(item, index)))
    # A product offered by a top-level Offer stands at the top level with it.
    for node in nodes:
        if id(node) not in nested and "itemOffered" in node:
            nested.difference_update(id(deref(item, index)) for item in as_list(node.get("itemOffered")))
    return nested


def _offered_products(nodes: list[Node], index: Mapping[str, Node]) -> dict[int, list[Node]]:
    """id(product) -> the Offers that name it as their itemOffered."""
    offered: dict[int, list[Node]] = {}
    for node in nodes:
        for item in as_list(node.get("itemOffered")):
            offered.setdefault(id(deref(item, index)), []).append(node)
    return offered


# -- product fields ---------------------------------------------------------------------------
def product_fields(
    node: Node,
    base_url: str,
    *,
    nodes: list[Node] | None = None,
    index: Mapping[str, Node] | None = None,
    hints: Mapping[str, str] | None = None,
    page_url: str | None = None,
) -> dict[str, object]:
    """The ProductData fields a schema.org Product node carries. `nodes` (the page's other nodes)
    lets Offers that name the product as itemOffered count; `index` resolves @id references;
    `page_url` may name the variant the page shows.

    Besides the fields, three private keys for the merge (product.py): '_currency', the offers'
    main currency, '_price_value', the raw amount of a price that came without a currency, and
    '_mpn', the maker's part number (a label showing it names the maker's number, not the shop's)."""
    index = index or {}
    offers = _product_offers(node, nodes or [], index)
    choice = best_offer(offers, index=index, hints=hints, page_url=page_url)
    found: dict[str, object] = {
        "title": _title(node),
        "product_id": clean_text(node.get("productID")),
        "sku": _sku(node.get("sku"), choice.sku),
        "brand": _brand(node, index),
        "image_url": absolute_url(deref(first(node.get("image")), index), base_url),
        "price": choice.price,
        "availability": choice.availability or _availability_of(node.get("availability")),
        "_currency": choice.currency,
        "_price_value": choice.raw_amount,
        "_mpn": clean_text(node.get("mpn")),
    }
    rating = deref(first(node.get("aggregateRating")), index)
    if isinstance(rating, dict):
        found["rating"] = to_float(rating.get("ratingValue"))
        found["review_count"] = to_count(rating.get("reviewCount") or rating.get("ratingCount"))
    found["category_path"] = split_category(clean_text(node.get("category")))
    found["attributes"] = {
        name: value
        for item in as_list(node.get("additionalProperty"))
        if isinstance(prop := deref(item, index), dict)
        and (name := clean_text(prop.get("name")))
        and (value := clean_text(prop.get("value")))
    }
    return found


def _sku(value: object, offered: str | None) -> str | None:
    """The product's SKU, else its chosen offer's. Several different SKUs on the product are
    other products' (microdata tiles of related items inside the product's item, without an
    itemscope of their own, while its own SKU sits in its offer's): the offer's, when it has one."""
    if isinstance(value, list) and offered and len({clean_text(item) for item in value}) > 1:
        return offered
    return clean_text(value) or offered


_CODE_KEYS = ("sku", "mpn", "productID", "gtin", "gtin8", "gtin12", "gtin13", "gtin14")


def _title(node: Node) -> str | None:
    """The name, unless it is just one of the product's codes (then another source names it)."""
    name = clean_text(node.get("name"))
    if name is None:
        return None
    folded = None
    for key in _CODE_KEYS:
        code = node.get(key)
        if code is not None and code != "":
            folded = folded or name.casefold()
            text = code if isinstance(code, str) else clean_text(code)
            if text and text.strip().casefold() == folded:
                return None
    return name


def _brand(node: Node, index: Mapping[str, Node]) -> str | None:
    """`brand` (text, Brand/Organization, a list of them, a reference), else `manufacturer`;
    a placeholder ('N/A', 'Unbranded') is none, and so is a node typed as an offer or a product
    (parallels.com's brand: an Offer named as the product)."""
    for key in ("brand", "manufacturer"):
        for item in as_list(node.get(key)):
            item = deref(item, index)
            if isinstance(item, dict) and (has_type(item, "Offer") or is_product(item)):
                continue
            if isinstance(item, dict) and not item.get("name") and key == "manufacturer":
                item = deref(first(item.get("brand")), index)  # a maker named only by its brand
            name = clean_text(item.get("name") if isinstance(item, dict) else item)
            if name and name.casefold() not in NO_BRAND and not name.startswith(("http://", "https://")):
                return name
    return None


def _product_offers(node: Node, nodes: list[Node], index: Mapping[str, Node]) -> list[Node]:
    """The product's offers, else Offers naming it itemOffered, else its variants' offers."""
    own = as_list(_offers_of(node))
    if own:
        return own
    offered = [
        other
        for other in nodes
        if any(deref(item, index) is node for item in as_list(other.get("itemOffered")))
    ]
    if offered:
        return offered
    return [
        _with_variant_keys(deref(offer, index), variant)
        for item in as_list(node.get("hasVariant"))[:_MAX_OFFERS]
        if isinstance(variant := deref(item, index), dict)
        for offer in as_list(variant.get("offers"))
    ]


def _with_variant_keys(offer: object, variant: Node) -> object:
    """A variant's offer carrying the variant's sku and url where it has none: the SKU of the
    variant the representative offer is taken from, the URL that may name it."""
    if not isinstance(offer, dict):
        return offer
    missing = {key: variant[key] for key in ("sku", "url") if variant.get(key) and not offer.get(key)}
    return {**offer, **missing} if missing else offer


# -- offers -----------------------------------------------------------------------------------
@dataclass(slots=True)
class OfferChoice:
    """What best_offer found: the representative price, the product's availability, the main
    currency, the raw amount when the price has no currency, and the offer's sku."""

    price: Price | None = None
    availability: Availability | None = None
    currency: str | None = None
    raw_amount: object = None
    sku: str | None = None


@dataclass(slots=True)
class _Offer:
    amount: object  # the raw value, or None
    currency: str | None
    availability: Availability | None
    sku: str | None
    url: str | None


def best_offer(
    offers: object,
    *,
    index: Mapping[str, Node] | None = None,
    hints: Mapping[str, str] | None = None,
    page_url: str | None = None,
) -> OfferChoice:
    """The representative offer of a product (the rule in the module docstring)."""
    flat: list[_Offer] = []
    _flatten_offers(as_list(offers), index or {}, hints, None, None, 0, set(), flat)
    priced = [offer for offer in flat if offer.amount is not None]
    main_currency = next((offer.currency for offer in priced if offer.currency), None) or next(
        (offer.currency for offer in flat if offer.currency), None
    )
    named = _named_by_url(priced, page_url) if len(priced) > 1 and page_url and "?" in page_url else None
    best: tuple[int, Price, _Offer] | None = None
    for offer in priced:
        if offer.currency not in (None, main_currency):
            continue
        rank = stock_rank(offer.availability)
        if offer is not named and best is not None and (rank, False) >= (best[0], not best[1].minor):
            continue  # even a priced one could not beat the best so far: left unparsed
        price = structured_price(offer.amount, offer.currency or main_currency, hints)
        if price is None:
            continue
        if offer is named:
            best = (rank, price, offer)
            break
        if best is None or (rank, not price.minor) < (best[0], not best[1].minor):
            best = (rank, price, offer)
    in_stock = next(
        (offer.availability for offer in flat if offer.availability and stock_rank(offer.availability) == 0),
        None,
    )
    if best is None:
        fallback = min(
            (offer.availability for offer in flat if offer.availability), key=stock_rank, default=None
        )
        return OfferChoice(availability=fallback, currency=main_currency)
    rank, price, offer = best
    availability = offer.availability or (in_stock if rank == 0 else None)
    return OfferChoice(
        price=price,
        availability=availability,
        currency=main_currency,
        raw_amount=offer.amount if price.currency is None else None,
        sku=offer.sku,
    )


def _named_by_url(offers: list[_Offer], page_url: str) -> _Offer | None:
    """The one offer the page URL's query names: all of its url's query parameters are the
    page's, or its sku is a parameter's value. None when none or several are named."""
    asked = _query_of(page_url)
    values = {value for _, value in asked}
    named = []
    for offer in offers:
        own = _query_of(offer.url)
        if (own and own <= asked) or (offer.sku and offer.sku in values):
            named.append(offer)
    return named[0] if len(named) == 1 else None


def _query_of(url: str | None) -> set[tuple[str, str]]:
    if not url or "?" not in url:
        return set()
    try:
        return set(parse_qsl(urlsplit(url).query))
    except ValueError:
        return set()


def _flatten_offers(
    items: list[object],
    index: Mapping[str, Node],
    hints: Mapping[str, str] | None,
    currency: str | None,
    availability: Availability | None,
    depth: int,
    seen: set[int],
    out: list[_Offer],
) -> None:
    """Offers in document order; an AggregateOffer's own `offers` stand for it when any of them
    is priced, and inherit its currency and availability. Bounded: each offer is read once."""
    for item in items:
        offer = deref(item, index)
        if not isinstance(offer, dict) or id(offer) in seen or len(out) >= _MAX_OFFERS:
            continue
        seen.add(id(offer))
        read = _read_offer(offer, currency, availability, hints)
        children = offer.get("offers")
        if children is not None and depth < _MAX_OFFER_DEPTH:
            start = len(out)
            _flatten_offers(
                as_list(children), index, hints, read.currency, read.availability, depth + 1, seen, out
            )
            if any(child.amount is not None for child in out[start:]):
                continue
        out.append(read)


def _read_offer(
    offer: Node, currency: str | None, availability: Availability | None, hints: Mapping[str, str] | None
) -> _Offer:
    selling, listed = _specifications(offer.get("priceSpecification"))
    price = _lowest(offer.get("price"), hints)
    free = same_amount(price, 0)  # a placeholder: any other amount of the offer beats it
    amount = None if free else price
    if selling is not None and listed is not None and same_amount(amount, first(listed.get("price"))):
        amount = None  # `price` repeats the list price: the sale price wins
    spec = selling
    if is_blank(amount):
        amount = first(selling.get("price")) if selling is not None else None
    if is_blank(amount):
        amount, spec = first(offer.get("lowPrice")), None
    if is_blank(amount) and listed is not None:
        amount, spec = first(listed.get("price")), listed
    if is_blank(amount) and free:
        amount, spec = price, None
    found_currency = currency_code(offer.get("priceCurrency") or offer.get("currency"), hints)
    for other in (spec, selling, listed):
        if found_currency is None and other is not None:
            found_currency = currency_code(other.get("priceCurrency"), hints)
    return _Offer(
        amount=None if is_blank(amount) or isinstance(amount, (dict, list)) else amount,
        currency=found_currency or currency,
        availability=_availability_of(offer.get("availability")) or availability,
        sku=clean_text(offer.get("sku")),
        url=offer.get("url") if isinstance(offer.get("url"), str) else None,
    )


def _lowest(prices: object, hints: Mapping[str, str] | None) -> object:
    """An offer's `price`; of several (microdata's list price and sale price both marked
    itemprop=price), the lowest that is not zero: the list price is the higher."""
    if not isinstance(prices, list):
        return prices
    parsed = [(structured_price(value, None, hints), value) for value in prices]
    selling = [(found.amount, value) for found, value in parsed if found is not None and found.amount > 0]
    return min(selling, key=lambda item: item[0])[1] if selling else first(prices)


def _availability_of(value: object) -> Availability | None:
    """An `availability` value: a schema.org URL or name in any case or scheme, the shop's own
    wording ('in_stock', 'Out of stock'), a list of them, or a node {"@id": "schema:InStock"}."""
    value = first(value)
    if isinstance(value, dict):
        value = value.get("@id") or value.get("name")
    return stated_availability(clean_text(value))


def _specifications(value: object) -> tuple[Node | None, Node | None]:
    """(selling, list) price specifications among an offer's, compound ones opened one level.
    A unit price (one with a referenceQuantity: per kg, per litre) is no item price."""
    selling = listed = unit = None
    specs = [item for item in as_list(value) if isinstance(item, dict)]
    specs += [
        part for spec in specs for part in as_list(spec.get("priceComponent")) if isinstance(part, dict)
    ]
    for spec in specs[:_MAX_OFFERS]:
        if is_blank(spec.get("price")):
            continue
        kind = (clean_text(spec.get("priceType")) or "").rsplit("/", 1)[-1].rsplit(":", 1)[-1].lower()
        if spec.get("referenceQuantity") is not None:
            unit = unit or spec
        elif kind in _LIST_PRICE_TYPES:
            listed = listed or spec
        else:
            selling = selling or spec
    return selling or (unit if listed is None else None), listed


# -- breadcrumbs and lists --------------------------------------------------------------------
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
