"""Microdata reader: itemscope/itemprop markup, as schema.org nodes shaped like JSON-LD ones.

A property found once holds its value, found several times a list. Nested itemscopes become
nested dicts, and their properties belong to them, not to the enclosing item.

One selector query finds every itemscope and itemprop element in document order (so an item
is always seen before its properties); each property is then attached to its nearest enclosing
item by walking up its parents. Per-item queries would cost far more: each runs over the tree.

Bounded for hostile pages: each element is walked up through once (see _enclosing_item), and a
text-valued property that holds other properties (whose text is the text of everything inside
it) is read for at most MAX_CONTAINER_TEXTS of them. The other text-valued properties cannot
nest, so reading all their texts touches each element once: linear in the page, where nested
text properties (3,900 of them around 270,000 elements) once took 13 s.
"""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser, LexborNode

from consumers.extract.schemaorg import Node, types
from consumers.extract.values import node_text

# Elements whose property value is an attribute rather than their text (WHATWG microdata).
MAX_CONTAINER_TEXTS = 20
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
    nodes = list({node.mem_id: node for node in tree.css("[itemscope], [itemprop]")}.values())
    containers = _holding_others(nodes)
    items: dict[int, Node] = {}
    top_level: list[Node] = []
    nested: list[Node] = []
    owners: dict[int, Node | None] = {}
    container_texts = 0
    for node in nodes:
        attributes = node.attributes
        owner = _enclosing_item(node, items, owners)
        names = (attributes.get("itemprop") or "").split()
        value: object
        if "itemscope" in attributes:
            item: Node = {"@type": sorted(types({"@type": (attributes.get("itemtype") or "").split()}))}
            items[node.mem_id] = item
            (nested if owner is not None and names else top_level).append(item)
            value = item
        else:
            is_container = node.mem_id in containers
            value = _property_value(node, read_text=not is_container or container_texts < MAX_CONTAINER_TEXTS)
            container_texts += is_container
        if owner is not None and value is not None:
            for name in names:
                _add(owner, name, value)
    return top_level + nested


def _enclosing_item(node: LexborNode, items: dict[int, Node], owners: dict[int, Node | None]) -> Node | None:
    """The nearest item around `node`. `owners` remembers the answer for every element walked
    through, so each element is walked once (without it, 20,000 nested properties took 25 s)."""
    walked = []
    parent = node.parent
    found = None
    while parent is not None:
        key = parent.mem_id
        if key in items or key in owners:
            found = items[key] if key in items else owners[key]
            break
        walked.append(key)
        parent = parent.parent
    owners.update(dict.fromkeys(walked, found))
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


def _property_value(node: LexborNode, *, read_text: bool) -> str | None:
    attributes = node.attributes
    attribute = _VALUE_ATTRIBUTE.get(node.tag or "")
    if attribute is not None:
        return attributes.get(attribute)
    if attributes.get("content") is not None:  # common, non-standard: <span itemprop=price content=..>
        return attributes["content"]
    return node_text(node) if read_text else None


def _add(item: Node, name: str, value: object) -> None:
    if name not in item:
        item[name] = value
    elif isinstance(item[name], list):
        item[name].append(value)
    else:
        item[name] = [item[name], value]
