"""RDFa reader: RDFa Lite 1.1 with schema.org, as nodes shaped like JSON-LD and microdata ones.

- `typeof` starts an item; its types ('Product', 'schema:Product', 'https://schema.org/Product')
  are shortened like JSON-LD's, `resource` (or `about`) becomes its '@id'.
- `property` names the item's properties: the element's value belongs to the nearest item
  around it. An element with both `property` and `typeof` is a nested item, the property's value.
- A value is `content`; else `resource`, `href` or `src` (an IRI); else `datetime`; else the
  element's text.
- Terms: a bare term ('price') is schema.org's unless the page's `vocab` declarations all name
  another vocabulary; a CURIE counts when its prefix means schema.org ('schema:' always, any
  other through a `prefix="s: https://schema.org/"` declaration anywhere on the page); a full
  schema.org IRI always. Other vocabularies' terms (og:title in a <meta property>, dc:, foaf:)
  are not schema.org properties and are skipped; so are properties outside any item.

GoodRelations (the e-commerce vocabulary schema.org took its offers from, which shop plugins of
2009-2016 still write, in RDFa 1.0 with `rel`) is read as schema.org: its terms ('gr:' or a
prefix declared for it) map to schema.org's (_GOODRELATIONS_TYPES, _GOODRELATIONS_PROPERTIES);
an item inside an element whose `rel` names a property (a hanging rel: `<div
rel="gr:hasPriceSpecification"><div typeof="gr:UnitPriceSpecification">`) is that property's
value; and each gr:Offering becomes the offer of the product it includes (`gr:includesObject`
-> `gr:typeOfGood`), or of a product named by the offering itself.

Fast path: a page with no `typeof=` attribute has no items, and no selector runs. Bounded like
microdata (the same read_items): each element is walked through once, linear in the page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser, LexborNode

from consumers.extract.microdata import Attributes, Syntax, answer_above, read_items
from consumers.extract.schemaorg import Node, is_product, short_types
from consumers.extract.values import as_list, shown_text

_SCHEMA_IRIS = ("http://schema.org", "https://schema.org")
_GOODRELATIONS_IRI = "http://purl.org/goodrelations/v1#"
_PREFIX_DECLARATION = re.compile(r"(\S+):\s+(\S+)")
_VALUE_ATTRIBUTES = ("content", "resource", "href", "src", "datetime")
_MAX_TYPEOF_LOOKS = 100_000  # occurrences of the word 'typeof' (in scripts) checked for '='
# GoodRelations' types and the properties read here, by their schema.org names.
_GOODRELATIONS_TYPES = {
    "Offering": "Offer",
    "SomeItems": "SomeProducts",
    "Individual": "IndividualProduct",
    "ProductOrServiceModel": "ProductModel",
    "ProductOrService": "Product",
    "BusinessEntity": "Organization",
}
_GOODRELATIONS_PROPERTIES = {
    "name": "name",
    "legalName": "name",
    "description": "description",
    "hasStockKeepingUnit": "sku",
    "hasMPN": "mpn",
    "hasEAN_UCC-13": "gtin13",
    "hasGTIN-14": "gtin14",
    "hasBrand": "brand",
    "hasManufacturer": "manufacturer",
    "hasPriceSpecification": "priceSpecification",
    "hasCurrencyValue": "price",
    "hasCurrency": "priceCurrency",
    "includes": "itemOffered",
    "includesObject": "includesObject",
    "typeOfGood": "typeOfGood",
}
_LINKS_TO_GOODS = ("includesObject", "itemOffered")  # left out of the offer: no cycle offer -> good -> offer
_PRODUCT_KEYS = ("name", "description", "sku", "mpn", "gtin13", "gtin14", "brand", "manufacturer")


def read_rdfa(html: str, tree: LexborHTMLParser) -> list[Node]:
    """Every RDFa item on the page: top-level items first, then nested ones, in document order;
    then the products GoodRelations offerings name themselves."""
    if not _has_typeof_attribute(html):
        return []
    terms = _Terms.declared(tree)
    nodes = tree.css("[property], [typeof]:not([property])")  # each element once (see microdata)
    offerings: list[Node] = []

    def new_item(attributes: Attributes) -> Node:
        item, offering = terms.new_item(attributes)
        if offering:
            offerings.append(item)
        return item

    syntax = Syntax("typeof", "property", new_item, _property_value, terms.names)
    items = read_items(nodes, syntax, hanging=_hanging_rels(nodes))
    return items + _offered_products(offerings)


@dataclass(frozen=True, slots=True)
class _Terms:
    """What the page's terms mean: the prefixes standing for schema.org and for GoodRelations,
    and whether bare terms are schema.org's."""

    schema_prefixes: frozenset[str]
    goodrelations_prefixes: frozenset[str]
    bare_terms: bool

    @classmethod
    def declared(cls, tree: LexborHTMLParser) -> _Terms:
        """From the page's prefix= and vocab= declarations ('gr' is GoodRelations' prefix in RDFa's
        initial context)."""
        schema, goodrelations = {"schema"}, {"gr"}
        vocabularies = []
        for node in tree.css("[prefix], [vocab]"):
            attributes = node.attributes
            for prefix, iri in _PREFIX_DECLARATION.findall(attributes.get("prefix") or ""):
                if iri.startswith(_SCHEMA_IRIS):
                    schema.add(prefix)
                elif iri == _GOODRELATIONS_IRI:
                    goodrelations.add(prefix)
            vocabulary = (attributes.get("vocab") or "").strip()
            if vocabulary:
                vocabularies.append(vocabulary.startswith(_SCHEMA_IRIS))
        return cls(frozenset(schema), frozenset(goodrelations), not vocabularies or any(vocabularies))

    def _goodrelations_term(self, term: str) -> str | None:
        """The local name of a GoodRelations term ('gr:Offering' -> 'Offering'), else None."""
        if term.startswith(_GOODRELATIONS_IRI):
            return term[len(_GOODRELATIONS_IRI) :]
        prefix, colon, local = term.partition(":")
        return local if colon and prefix in self.goodrelations_prefixes else None

    def new_item(self, attributes: Attributes) -> tuple[Node, bool]:
        """The item a `typeof` element starts, and whether it is a GoodRelations offering."""
        kinds, offering = [], False
        for kind in (attributes.get("typeof") or "").split():
            local = self._goodrelations_term(kind)
            offering = offering or local == "Offering"
            kinds.append(_GOODRELATIONS_TYPES.get(local, local) if local else kind)
        item: Node = {"@type": short_types(kinds)}
        identifier = attributes.get("resource") or attributes.get("about")
        if identifier:
            item["@id"] = identifier.strip()
        return item, offering

    def names(self, terms: list[str]) -> list[str]:
        """The schema.org property names among a `property` (or hanging `rel`) attribute's terms,
        shortened; GoodRelations' as schema.org names them."""
        found = []
        for term in terms:
            if term.startswith(_SCHEMA_IRIS):
                found.append(term.rstrip("/").rsplit("/", 1)[-1])
                continue
            if (local := self._goodrelations_term(term)) is not None:
                if local in _GOODRELATIONS_PROPERTIES:
                    found.append(_GOODRELATIONS_PROPERTIES[local])
                continue
            prefix, colon, local = term.partition(":")
            if not colon:
                if self.bare_terms:
                    found.append(term)
            elif prefix in self.schema_prefixes and local:
                found.append(local)
        return found


def _hanging_rels(nodes: list[LexborNode]) -> dict[int, list[str]]:
    """mem_id of each item naming no property -> the terms of the `rel` around it that names
    none of its own objects (no resource or href), when no other item or property element comes
    between."""
    hanging: dict[int, list[str]] = {}
    above: dict[int, list[str]] = {}
    for node in nodes:
        attributes = node.attributes
        if "typeof" not in attributes or "property" in attributes:
            continue
        if found := answer_above(node, _rel_terms, above, []):
            hanging[node.mem_id] = found
    return hanging


def _rel_terms(element: LexborNode) -> list[str] | None:
    """The terms of a hanging `rel` on `element`; none ([]) on another item or a property element
    (it ends the search); None to go on to the element around it."""
    around = element.attributes
    if not ("typeof" in around or "property" in around or "rel" in around):
        return None
    hangs = "rel" in around and not ("resource" in around or "href" in around)
    return (around.get("rel") or "").split() if hangs else []


def _offered_products(offerings: list[Node]) -> list[Node]:
    """Each GoodRelations offering as the offer of its product: the good it includes (given the
    offering's name, SKU or brand when it has none), else a product the offering names itself.
    Returns the products made (the goods are among the items already)."""
    made = []
    for offering in offerings:
        good = _included_good(offering)
        if good is None:
            good = {"@type": "Product"}
            made.append(good)
        for key in _PRODUCT_KEYS:
            if key not in good and key in offering:
                good[key] = offering[key]
        offer = {key: value for key, value in offering.items() if key not in _LINKS_TO_GOODS}
        if "priceSpecification" not in offer and (price := _included_price(offering)) is not None:
            offer["priceSpecification"] = price
        good["offers"] = [*as_list(good.get("offers")), offer]
    return made


def _included_price(offering: Node) -> object:
    """A price specification written inside the offering's gr:TypeAndQuantityNode (a common slip:
    the `rel` left inside the node's element): the offering's price."""
    nodes = (node for node in as_list(offering.get("includesObject")) if isinstance(node, dict))
    return next((node["priceSpecification"] for node in nodes if "priceSpecification" in node), None)


def _included_good(offering: Node) -> Node | None:
    goods = [offering.get("itemOffered")] + [
        node.get("typeOfGood") for node in as_list(offering.get("includesObject")) if isinstance(node, dict)
    ]
    return next((good for good in goods if isinstance(good, dict) and is_product(good)), None)


def _has_typeof_attribute(html: str) -> bool:
    """Whether `typeof` stands before '=' somewhere: JavaScript's typeof operator never does."""
    start = html.find("typeof")
    looks = 0
    while start != -1 and looks < _MAX_TYPEOF_LOOKS:
        end = start + 6
        if html[end : end + 16].lstrip().startswith("="):
            return True
        start = html.find("typeof", end)
        looks += 1
    return start != -1  # looked long enough: let the reader decide


def _property_value(node: LexborNode, attributes: Attributes, read_text: bool) -> str | None:
    for name in _VALUE_ATTRIBUTES:
        value = attributes.get(name)
        if value is not None:
            return value
    return shown_text(node) if read_text else None
