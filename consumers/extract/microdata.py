"""Microdata reader: itemscope/itemprop markup, as schema.org nodes shaped like JSON-LD ones.

A property found once holds its value, found several times a list. Nested itemscopes become
nested dicts, and their properties belong to them, not to the enclosing item. An `itemid`
becomes the item's '@id'. `itemref="a b"` makes the elements with ids a and b (and what they
hold, up to a nested itemscope) properties of the item, wherever they stand on the page; an
element both inside an item and referenced by another belongs to the one found first walking
up from it.

One selector query finds every itemscope and itemprop element in document order (so an item
is always seen before its properties, unless itemref says otherwise: then the items are made
first); each property is then attached to its nearest enclosing item by walking up its parents.
Per-item queries would cost far more: each runs over the tree.

<meta itemprop> and <link itemprop> tags outside any item (themes put a loose
<meta itemprop="price" content="..."> in the page) are collected apart: loose_itemprops.

Bounded for hostile pages: each element is walked up through once (see _enclosing_item), and a
text-valued property that holds other properties (whose text is the text of everything inside
it) is read for at most MAX_CONTAINER_TEXTS of them. The other text-valued properties cannot
nest, so reading all their texts touches each element once: linear in the page, where nested
text properties (3,900 of them around 270,000 elements) once took 13 s. The RDFa reader
(rdfa.py) shares this machinery (read_items).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from selectolax.lexbor import LexborHTMLParser, LexborNode

from consumers.extract.schemaorg import Node, short_types
from consumers.extract.values import shown_text

T = TypeVar("T")

MAX_CONTAINER_TEXTS = 20
# Elements whose property value is an attribute rather than their text (WHATWG microdata).
_VALUE_ATTRIBUTE = {
    "meta": "content",
    "a": "href",
    "area": "href",
    "link": "href",
    "img": "src",
    "audio": "src",
    "embed": "src",
    "iframe": "src",
    "source": "src",
    "track": "src",
    "video": "src",
    "object": "data",
    "data": "value",
    "meter": "value",
    "time": "datetime",
}
_LOOSE_TAGS = ("meta", "link")
# Properties whose value is text: on a link, the link's text rather than its URL.
_TEXT_PROPERTIES = frozenset(
    {"name", "brand", "manufacturer", "sku", "mpn", "productID", "model", "color", "category"}
)

Attributes = Mapping[str, str | None]


@dataclass(frozen=True, slots=True)
class Syntax:
    """How a markup names items and properties: the attribute that starts an item, the one that
    names properties, the item an element starts, a property element's value, and (RDFa) which
    of the names given are schema.org's."""

    item_attribute: str
    property_attribute: str
    new_item: Callable[[Attributes], Node]
    property_value: Callable[[LexborNode, Attributes, bool], str | None]
    known_names: Callable[[list[str]], list[str]] | None = None


def read_microdata(html: str, tree: LexborHTMLParser) -> list[Node]:
    """Every item on the page: top-level items first, then nested ones, each in document order."""
    return read_microdata_and_loose(html, tree)[0]


def read_microdata_and_loose(html: str, tree: LexborHTMLParser) -> tuple[list[Node], dict[str, str]]:
    """(read_microdata, loose_itemprops) in one pass over the page's itemprops."""
    if "itemscope" not in html:  # most pages: skip the selector engine entirely
        return [], loose_itemprops(html, tree)
    # One match an element: lexbor reports an element once per selector of a list it matches.
    nodes = tree.css("[itemprop], [itemscope]:not([itemprop])")
    items: dict[int, Node] = {}
    references: dict[int, Node] = {}
    if "itemref" in html:
        items = {
            node.mem_id: _new_item(attributes)
            for node in nodes
            if "itemscope" in (attributes := node.attributes)
        }
        references = _referenced(nodes, items, tree)
    loose: dict[str, str] = {}
    return read_items(nodes, MICRODATA, items=items, references=references, loose=loose), loose


def loose_itemprops(html: str, tree: LexborHTMLParser) -> dict[str, str]:
    """name -> value of <meta itemprop>/<link itemprop> tags on a page without any itemscope
    (read_microdata_and_loose finds them on pages with items)."""
    if "itemprop" not in html:
        return {}
    loose: dict[str, str] = {}
    for tag in _LOOSE_TAGS:
        for node in tree.tags(tag):
            attributes = node.attributes
            names = (attributes.get("itemprop") or "").split()
            value = _property_value(node, attributes, False) if names else None
            if value:
                for name in names:
                    loose.setdefault(name, value)
    return loose


def read_items(
    nodes: list[LexborNode],
    syntax: Syntax,
    *,
    items: dict[int, Node] | None = None,
    references: Mapping[int, Node] | None = None,
    loose: dict[str, str] | None = None,
    hanging: Mapping[int, list[str]] | None = None,
) -> list[Node]:
    """The items among `nodes` (elements in document order that start an item or hold a
    property, as `syntax` says): top-level items first, then nested ones. `items` may hold items
    made beforehand (by mem_id), `references` elements whose properties belong to an item
    elsewhere (itemref). Properties of <meta>/<link> outside any item go to `loose` when given.
    `hanging` gives an item that names no property of its own the names an element around it
    gives (RDFa's hanging rel), by mem_id."""
    items = {} if items is None else items
    references = references or {}
    item_attribute, property_attribute = syntax.item_attribute, syntax.property_attribute
    new_item, property_value, known_names = syntax.new_item, syntax.property_value, syntax.known_names
    containers = _holding_others(nodes)
    top_level: list[Node] = []
    nested: list[Node] = []
    owners: dict[int, Node | None] = {}
    container_texts = 0

    def item_at(element: LexborNode) -> Node | None:  # the item an element starts or refers to
        key = element.mem_id
        return items[key] if key in items else references.get(key)

    for node in nodes:
        attributes = node.attributes
        key = node.mem_id
        owner = references[key] if key in references else answer_above(node, item_at, owners, None)
        names = (attributes.get(property_attribute) or "").split()
        if not names and hanging and key in hanging:
            names = hanging[key]
        if names and known_names is not None:
            names = known_names(names)
        value: object
        if item_attribute in attributes:
            item = items.get(key) or new_item(attributes)
            items[key] = item
            if owner is item:  # an item referring to itself
                owner = None
            (nested if owner is not None and names else top_level).append(item)
            value = item
        else:
            is_container = key in containers
            text = property_value(node, attributes, not is_container or container_texts < MAX_CONTAINER_TEXTS)
            container_texts += is_container
            if owner is None and loose is not None and text and names and node.tag in _LOOSE_TAGS:
                for name in names:
                    loose.setdefault(name, text)
            value = text
        if owner is not None and value is not None:
            for name in names:
                _add(owner, name, value)
    return top_level + nested


def _new_item(attributes: Attributes) -> Node:
    item: Node = {"@type": short_types((attributes.get("itemtype") or "").split())}
    itemid = attributes.get("itemid")
    if itemid:
        item["@id"] = itemid.strip()
    return item


def _referenced(nodes: list[LexborNode], items: dict[int, Node], tree: LexborHTMLParser) -> dict[int, Node]:
    """mem_id of each element an itemref names -> the item naming it (the first such item)."""
    wanted: dict[str, Node] = {}
    for node in nodes:
        item = items.get(node.mem_id)
        if item is not None:
            for reference in (node.attributes.get("itemref") or "").split():
                wanted.setdefault(reference, item)
    referenced: dict[int, Node] = {}
    if wanted:
        for element in tree.css("[id]"):
            item = wanted.pop(element.id or "", None)  # the first element with an id counts
            if item is not None and items.get(element.mem_id) is not item:
                referenced[element.mem_id] = item
    return referenced


def answer_above(
    node: LexborNode, answer: Callable[[LexborNode], T | None], memo: dict[int, T], default: T
) -> T:
    """The answer of the nearest element around `node` that has one (`answer` is None for an
    element that leaves it to those around it), else `default`. `memo` remembers the answer for
    every element walked through, so each element is walked once (without it, 20,000 nested
    microdata properties took 25 s)."""
    walked = []
    parent = node.parent
    found = default
    while parent is not None:
        key = parent.mem_id
        if key in memo:
            found = memo[key]
            break
        decided = answer(parent)
        if decided is not None:
            found = decided
            break
        walked.append(key)
        parent = parent.parent
    for key in walked:  # most walks stop at once, with nothing to remember
        memo[key] = found
    return found


def _holding_others(nodes: list[LexborNode]) -> set[int]:
    """mem_ids of the elements that have one of `nodes` inside them. Each walk up stops at an
    element already marked, so every element is visited once."""
    marked: set[int] = set()
    for node in nodes:
        parent = node.parent
        while parent is not None and parent.mem_id not in marked:
            marked.add(parent.mem_id)
            parent = parent.parent
    return marked


def _property_value(node: LexborNode, attributes: Attributes, read_text: bool) -> str | None:
    attribute = _VALUE_ATTRIBUTE.get(node.tag or "")
    if (
        node.tag == "a"
        and read_text
        and _TEXT_PROPERTIES.intersection((attributes.get("itemprop") or "").split())
    ):
        text = shown_text(node)  # <a href=/brand/x itemprop=name>X</a>: shops mean the text, not the URL
        if text:
            return text
    if attribute is not None:
        return attributes.get(attribute)
    if attributes.get("content") is not None:  # common, non-standard: <span itemprop=price content=..>
        return attributes["content"]
    return shown_text(node) if read_text else None


MICRODATA = Syntax("itemscope", "itemprop", _new_item, _property_value)


def _add(item: Node, name: str, value: object) -> None:
    if name not in item:
        item[name] = value
    elif isinstance(item[name], list):
        item[name].append(value)
    else:
        item[name] = [item[name], value]
