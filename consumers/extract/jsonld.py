"""JSON-LD reader: the <script type="application/ld+json"> blocks of a page, as schema.org nodes."""

from __future__ import annotations

import json
from decimal import Decimal

from selectolax.lexbor import LexborHTMLParser

from consumers.extract.schemaorg import Node, walk


def read_jsonld(tree: LexborHTMLParser) -> list[Node]:
    """Every object in every JSON-LD block; blocks that are not valid JSON are skipped."""
    nodes: list[Node] = []
    for script in tree.tags("script"):  # tags() avoids the cost of the CSS engine
        if (script.attributes.get("type") or "").strip().lower() != "application/ld+json":
            continue
        try:
            # Decimal keeps prices exact; a bad block on a page must not hide the good ones.
            document = json.loads(script.text(deep=True), parse_float=Decimal)
        except (ValueError, RecursionError):
            continue
        nodes.extend(walk(document))
    return nodes
