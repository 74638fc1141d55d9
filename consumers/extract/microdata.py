"""Microdata reader: itemscope/itemprop markup, as schema.org nodes shaped like JSON-LD ones.

A property found once holds its value, found several times a list. Nested itemscopes become
nested dicts, and their properties belong to them, not to the enclosing item.

One selector query finds every itemscope and itemprop element in document order (so an item
is always seen before its properties); each property is then attached to its nearest enclosing
item by walking up its parents. Per-item queries would cost far more: each runs over the tree.
"""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser, LexborNode

from consumers.extract.schemaorg import Node, types
from consumers.extract.values import node_text

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


def read_microdata(html: str, tree: LexborHTMLParser) -> list[Node]:
    """Every item on the page: top-level items first, then nested ones, each in document order."""
    if "itemscope" not in html:  # most pages: skip the selector engine entirely
        return []
    items: dict[int, Node] = {}
    top_level: list[Node] = []
    nested: list[Node] = []
    seen: set[int] = set()
    for node in tree.css("[itemscope], [itemprop]"):
        if node.mem_id in seen:  # lexbor yields an element once per selector of the group it matches
            continue
        seen.add(node.mem_id)
        attributes = node.attributes
        owner = _enclosing_item(node, items)
        names = (attributes.get("itemprop") or "").split()
        value: object
        if "itemscope" in attributes:
            item: Node = {"@type": sorted(types({"@type": (attributes.get("itemtype") or "").split()}))}
            items[node.mem_id] = item
            (nested if owner is not None and names else top_level).append(item)
            value = item
        else:
            value = _property_value(node)
        if owner is not None and value is not None:
            for name in names:
                _add(owner, name, value)
    return top_level + nested


def _enclosing_item(node: LexborNode, items: dict[int, Node]) -> Node | None:
    parent = node.parent
    while parent is not None:
        item = items.get(parent.mem_id)
        if item is not None:
            return item
        parent = parent.parent
    return None


def _property_value(node: LexborNode) -> str | None:
    attributes = node.attributes
    attribute = _VALUE_ATTRIBUTE.get(node.tag or "")
    if attribute is not None:
        return attributes.get(attribute)
    if attributes.get("content") is not None:  # common, non-standard: <span itemprop=price content=..>
        return attributes["content"]
    return node_text(node)


def _add(item: Node, name: str, value: object) -> None:
    if name not in item:
        item[name] = value
    elif isinstance(item[name], list):
        item[name].append(value)
    else:
        item[name] = [item[name], value]
