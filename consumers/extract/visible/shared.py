"""What several of the visible readers share: the labels read from the page's visible text
(Page.visible_text), and the limits on the elements looked at.

Labels ("SKU:", "Art.-Nr.", "Brand:", "Availability:", "Price:") are read from the visible text:
a copy of the tree without scripts and styles, one text node a line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TypeVar

from selectolax.lexbor import LexborNode

from consumers.extract.page import NOT_TEXT_TAGS
from consumers.extract.values import clean_text, node_text

MAX_CANDIDATES = 100  # elements of one kind (price, stock, button, brand, heading) looked at
# Elements never shown (Page.visible_text leaves them out), and site chrome (mini-cart totals, menus).
UNSEEN_TAGS = NOT_TEXT_TAGS | {"header", "nav", "footer", "select"}
# Class or id words of a menu or navigation bar: its titles and links name no product.
_NAVIGATION_TOKENS = frozenset({"menu", "nav", "navbar", "navigation", "megamenu"})
_NAVIGATION_ENDINGS = ("menu", "nav")  # run-together names: 'categorymenu', 'mainmenu', 'topnav'
CART_LINK_STEPS = 4  # steps up from the heading to the block an add-to-cart link shares with it
LABEL_WINDOW = 60_000  # characters of visible text searched for labels
_LABEL_REACH = 300  # characters a label and its value span at most


def navigational(tokens: frozenset[str]) -> bool:
    """Whether an element's class or id words (nearness.class_tokens) name a menu or navigation bar."""
    return bool(tokens & _NAVIGATION_TOKENS) or any(token.endswith(_NAVIGATION_ENDINGS) for token in tokens)


def label_pattern(words: str, value: str) -> re.Pattern[str]:
    """A label (one of `words`, standing alone) and its value (group 1 of `value`) in page text."""
    return re.compile(rf"(?<![^\W\d_])(?:{words})(?![^\W\d_]){value}", re.IGNORECASE)


T = TypeVar("T")


def limited(nodes: Iterable[LexborNode]) -> list[LexborNode]:
    return list(nodes)[:MAX_CANDIDATES]


def css_string(text: str) -> str:
    """`text` as a CSS string literal, for a selector built around page text."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def short_text(node: LexborNode, limit: int) -> str | None:
    text = node_text(node)
    return text if text and len(text) <= limit else None


def labelled_value(
    label: re.Pattern[str], text: str | None, after: int, convert: Callable[[str], T | None]
) -> T | None:
    """The first value after `label` in `text` that `convert` accepts, looking in the
    LABEL_WINDOW characters from `after` (the heading) on, then in those from the start. (Some
    pages show 600 KB of text; the product's labels are not that far from its heading.)"""
    if not text:
        return None
    for start, end in label_windows(after):
        match = label.search(text, start, end)
        while match is not None:
            if start < after <= match.start():
                break  # the first window was read from here on
            value = clean_text(match.group(1))
            converted = convert(value) if value else None
            if converted is not None:
                return converted
            # Searched on from just after the label's start: a refused value may start the next
            # label ('Item Number' read 'Item' of 'Item No. 2725059161970P' as its value).
            match = label.search(text, match.start() + 1, end)
    return None


def label_windows(after: int) -> list[tuple[int, int]]:
    """Where labels are looked for: LABEL_WINDOW characters of page text from the heading on,
    then those before it (a label just before it may run _LABEL_REACH characters on past it)."""
    windows = [(after, after + LABEL_WINDOW)]
    if after:
        windows.append((0, min(after + _LABEL_REACH, LABEL_WINDOW)))
    return windows


def text_lines(node: LexborNode | None) -> str:
    """A node's text as it appears in the page text (Page.visible_text), for finding it there."""
    return node.text(deep=True, separator="\n", strip=True, skip_empty=True) if node is not None else ""


def shown_from(node: LexborNode | None, backwards: bool = False) -> LexborNode | None:
    """`node`, or its first sibling after it (before it, `backwards`) that shows something: blank
    text and comments aside ('<b>Marke</b><!-- brand --> Acer')."""
    while node is not None and _shows_nothing(node):
        node = node.prev if backwards else node.next
    return node


def _shows_nothing(node: LexborNode) -> bool:
    return node.tag == "-comment" or (node.tag == "-text" and not (node.text() or "").strip())


def element_beside(node: LexborNode, before: bool) -> LexborNode | None:
    """The element just before (or after) `node` among its siblings, blank text and comments aside."""
    sibling = shown_from(node.prev if before else node.next, backwards=before)
    return sibling if sibling is not None and sibling.tag != "-text" else None
