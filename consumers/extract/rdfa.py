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

Fast path: a page with no `typeof=` attribute has no items, and no selector runs. Bounded like
microdata (the same read_items): each element is walked through once, linear in the page.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from selectolax.lexbor import LexborHTMLParser, LexborNode

from consumers.extract.microdata import Attributes, Syntax, read_items
from consumers.extract.schemaorg import Node, short_types
from consumers.extract.values import shown_text

_SCHEMA_IRIS = ("http://schema.org", "https://schema.org")
_PREFIX_DECLARATION = re.compile(r"(\S+):\s+(\S+)")
_VALUE_ATTRIBUTES = ("content", "resource", "href", "src", "datetime")
_MAX_TYPEOF_LOOKS = 100_000  # occurrences of the word 'typeof' (in scripts) checked for '='


def read_rdfa(html: str, tree: LexborHTMLParser) -> list[Node]:
    """Every RDFa item on the page: top-level items first, then nested ones, in document order."""
    if not _has_typeof_attribute(html):
        return []
    prefixes, bare_terms = _vocabulary(tree)
    nodes = list({node.mem_id: node for node in tree.css("[typeof], [property]")}.values())
    syntax = Syntax("typeof", "property", _new_item, _property_value, _schema_names(prefixes, bare_terms))
    return read_items(nodes, syntax)


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


def _vocabulary(tree: LexborHTMLParser) -> tuple[frozenset[str], bool]:
    """(prefixes meaning schema.org, whether bare terms are schema.org's) from the page's
    prefix= and vocab= declarations."""
    prefixes = {"schema"}
    vocabularies = []
    for node in tree.css("[prefix], [vocab]"):
        attributes = node.attributes
        for prefix, iri in _PREFIX_DECLARATION.findall(attributes.get("prefix") or ""):
            if iri.startswith(_SCHEMA_IRIS):
                prefixes.add(prefix)
        vocabulary = (attributes.get("vocab") or "").strip()
        if vocabulary:
            vocabularies.append(vocabulary.startswith(_SCHEMA_IRIS))
    return frozenset(prefixes), not vocabularies or any(vocabularies)


def _new_item(attributes: Attributes) -> Node:
    item: Node = {"@type": short_types((attributes.get("typeof") or "").split())}
    identifier = attributes.get("resource") or attributes.get("about")
    if identifier:
        item["@id"] = identifier.strip()
    return item


def _schema_names(prefixes: frozenset[str], bare_terms: bool) -> Callable[[list[str]], list[str]]:
    """The schema.org property names among a `property` attribute's terms, shortened."""

    def names(terms: list[str]) -> list[str]:
        found = []
        for term in terms:
            if term.startswith(_SCHEMA_IRIS):
                found.append(term.rstrip("/").rsplit("/", 1)[-1])
                continue
            prefix, colon, local = term.partition(":")
            if not colon:
                if bare_terms:
                    found.append(term)
            elif prefix in prefixes and local:
                found.append(local)
        return found

    return names


def _property_value(node: LexborNode, attributes: Attributes, read_text: bool) -> str | None:
    for name in _VALUE_ATTRIBUTES:
        value = attributes.get(name)
        if value is not None:
            return value
    return shown_text(node) if read_text else None
