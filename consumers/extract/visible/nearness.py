"""Nearness to the heading: how far an element is from the product's heading in the tree.

"Near": the number of steps from the chosen <h1> up to the lowest ancestor it shares with an
element. The product's own price shares a low ancestor with its <h1>; related-product tiles and
the mini-cart share only <main> or <body> with it. The walk up also reads a price element's tier
(prices.py) from the class and id words on the way, and whether the element is hidden.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from selectolax.lexbor import LexborNode

from consumers.extract.values import is_hidden
from consumers.extract.visible.shared import UNSEEN_TAGS, limited

MAX_WALK = 48  # ancestors walked up from one element
_FAR = 1_000_000  # distance of an element that shares no ancestor with the heading within reach

# Price tiers, best first. Words are matched against the class/id tokens of the element and of
# its ancestors below the one it shares with the heading; the nearest word decides.
SALE, PLAIN, REGULAR, EXCLUDED = range(4)
_TIER_WORDS = {
    SALE: {
        *("sale", "sales", "special", "current", "now", "final", "offer", "promo", "reduced", "deal"),
        *("actual", "our", "ours", "discount", "discounted", "online"),  # "Online Price": the web shop's
    },
    REGULAR: {
        *("regular", "list", "original", "rrp", "uvp", "msrp", "unit", "base", "per", "reference"),
        *("nonsale", "competitor", "competitors"),  # 'price--non-sale': 'non' joins the word after it
        *("excluding", "excl", "exkl", "zzgl", "without", "net", "netto"),
    },
    EXCLUDED: {
        *("old", "was", "compare", "strike", "strikethrough", "crossed", "before", "previous", "pseudo"),
        *("deprecated", "through", "linethrough"),  # 'is-deprecated' (H&M's shops), 'price--line-through'
        *("save", "saving", "savings", "shipping", "delivery", "installment", "instalment"),
        *("monthly", "total", "subtotal", "minicart", "filter", "range", "slider"),
        *("club", "member", "members", "membership"),  # members-only prices
    },
}
# A price element named for the tax alone holds the tax amount; one naming its basis too
# ('price-including-tax', 'price-excl-tax', BigCommerce's 'price--withoutTax') holds a price.
_TAX_WORDS = frozenset({"tax", "vat", "mwst", "gst"})
_TAX_BASIS_WORDS = frozenset(
    {"including", "incl", "inkl", "inc", "with", "excluding", "excl", "exkl", "zzgl", "without"}
)
_TIER_TAGS = {"del": EXCLUDED, "s": EXCLUDED, "strike": EXCLUDED, "ins": SALE}

_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z0-9])")  # 'productTitle' -> 'product Title', 'title1' -> 'title 1'
NOT_WORD = re.compile(r"[\W_]+")
_NEGATED = re.compile(r"\bnon[\W_]+")  # 'non-sale' is one word, not 'sale'


# -- nearness to the heading -----------------------------------------------------------------------
@dataclass(slots=True)
class Walk:
    """What walking up from an element found: its distance from the heading (steps from the
    heading to their shared ancestor), the elements passed on the way, its price tier, and
    whether it is hidden or part of the site's header/nav/footer."""

    distance: int
    passed: list[int]
    tier: int
    hidden: bool


def ancestor_steps(heading: LexborNode | None) -> dict[int, int]:
    """mem_id -> steps up from the heading, for the heading and every ancestor of it."""
    steps: dict[int, int] = {}
    current = heading
    while current is not None and len(steps) < 10 * MAX_WALK:
        steps[current.mem_id] = len(steps)
        current = current.parent
    return steps


def walk_up(node: LexborNode, chain: dict[int, int], tiers: bool = False) -> Walk:
    """Walk up from `node` to the heading's ancestors (at most MAX_WALK steps); `tiers` also reads
    the price tier on the way (the nearest element with a tier word or tag decides)."""
    tier: int | None = None if tiers else PLAIN
    hidden = False
    passed: list[int] = []
    current: LexborNode | None = node
    for _ in range(MAX_WALK):
        if current is None:
            break
        key = current.mem_id
        if key in chain:
            return Walk(chain[key], passed, PLAIN if tier is None else tier, hidden)
        passed.append(key)
        attributes = current.attributes
        tag = current.tag or ""
        if tier is None:
            tier = _TIER_TAGS.get(tag) or class_tier(attributes)
        hidden = hidden or tag in UNSEEN_TAGS or is_hidden(attributes)
        current = current.parent
    return Walk(_FAR, passed, PLAIN if tier is None else tier, hidden)


def class_tier(attributes: dict[str, str | None]) -> int | None:
    """The tier its class and id words give; none for the element the shop marks as the price
    (itemprop=price in a 'totalPrice' span is the price, not a cart total)."""
    if attributes.get("itemprop") == "price":
        return None
    return _tier_of(_words(class_and_id(attributes)))


def _tier_of(tokens: frozenset[str]) -> int | None:
    if tokens & _TAX_WORDS and not tokens & _TAX_BASIS_WORDS:
        return EXCLUDED  # the tax in a price: '<span class="price-tax">(+消費税120円)</span>'
    for tier in (EXCLUDED, SALE, REGULAR):
        if tokens & _TIER_WORDS[tier]:
            return tier
    return None


def class_tokens(node: LexborNode) -> frozenset[str]:
    return _words(class_and_id(node.attributes))


@lru_cache(maxsize=8192)  # class names repeat across elements and pages
def _words(raw: str) -> frozenset[str]:
    """Words of a class and id: 'price--old oldPrice' -> {'price', 'old'}; 'oldprice' -> 'old'."""
    if not raw.strip():
        return frozenset()
    words = set(NOT_WORD.split(_NEGATED.sub("non", _CAMEL.sub(" ", raw).lower()))) - {""}
    for word in list(words):
        for affix in ("price", "preis", "prix"):
            if word != affix and (word.startswith(affix) or word.endswith(affix)):
                words.add(word.removeprefix(affix).removesuffix(affix))
    return frozenset(words)


def class_and_id(attributes: dict[str, str | None]) -> str:
    return f"{attributes.get('class') or ''} {attributes.get('id') or ''}"


def nearest(nodes: Iterable[LexborNode], chain: dict[int, int]) -> list[LexborNode]:
    """The visible elements among `nodes`, nearest the heading first (page order on ties)."""
    walked = [(node, walk_up(node, chain)) for node in limited(nodes)]
    shown = [
        (walk.distance, order, node)
        for order, (node, walk) in enumerate(walked)
        if walk.passed and not walk.hidden  # no passed elements: it holds the heading, a container
    ]
    return [node for _, _, node in sorted(shown, key=lambda item: item[:2])]


def lineage(node: LexborNode | None) -> Iterator[LexborNode]:
    """`node` and its ancestors, at most MAX_WALK of them."""
    for _ in range(MAX_WALK):
        if node is None:
            return
        yield node
        node = node.parent
