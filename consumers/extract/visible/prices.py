"""The price a shopper sees: the price element nearest the heading, else a labelled price.

Among equally near prices a sale or current price beats a plain one, which beats a regular/list
price; crossed-out prices (<del>, <s>, .old-price, .was-price, .price--compare...) and savings,
shipping or instalment amounts never count.
A page known to show one product whose price element names itself nothing ('<strong>22,50
€</strong>') takes the first bare amount with its currency after the heading (price_line).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from selectolax.lexbor import LexborHTMLParser, LexborNode

from consumers.extract.page import Page
from consumers.extract.price import ISO_CODES, Price, parse_price_or_none
from consumers.extract.values import clean_text, is_hidden
from consumers.extract.visible.nearness import (
    EXCLUDED,
    PLAIN,
    REGULAR,
    SALE,
    Walk,
    class_tier,
    class_tokens,
    walk_up,
)
from consumers.extract.visible.shared import (
    LABEL_WINDOW,
    element_beside,
    label_pattern,
    labelled_value,
    limited,
)

if TYPE_CHECKING:
    from consumers.extract.profiles import SiteProfile

MAX_TEXTS = 30  # price elements whose text is read (nested containers each hold all the text inside)
MAX_PRICE_BLOCKS = 4  # separate prices equally near the heading; more is a listing, not a product
_MAX_PRICE_CHARS = 120  # longer text holds more than a price
_MAX_PRICE_WORDS = 12
_MAX_PRICE_PARTS = 12  # elements inside a price element looked at for list-price marks
_MAX_SIGN_CHARS = 6  # a currency shown alone beside an amount: '$', 'US$', 'EUR', 'Kč'
_PRICE_LINES = 60  # lines of page text after the heading searched for a bare price ('22,50 €')
_PRICE_LINE_CHARS = 24
_PRICE_LINE_LETTERS = 3  # a currency's code or sign in letters ('EUR', 'zł', 'kr'), nothing more

_PRICE_WORDS = (
    "price",
    "preis",
    "prix",
    "precio",
    "prezzo",
    "prijs",
    "cena",
    "цена",
    "fiyat",
    "hinta",
    "money",
)
_PRICE_CSS = ", ".join(
    ["[itemprop=price]", *(f"[{attr}*={word} i]" for word in _PRICE_WORDS for attr in ("class", "id"))]
)
# A plain price block whose text starts with one of these words is the selling price ('Now $52.00').
_SALE_WORD = re.compile(
    r"\s*(?:now|sale|jetzt|nu|maintenant|ahora|ora|teraz|agora|şimdi|сейчас)\b", re.IGNORECASE
)
# A list price's words before its amount: 'RRP £8.99', 'UVP 19,99 €', 'List Price: $59.99'.
_LIST_WORD = re.compile(
    r"\s*(?:rrp|uvp|msrp|list price|was|reg(?:ular)?\.?(?: price)?|statt|prix conseillé|pvp|pvpr)\b",
    re.IGNORECASE,
)
_CROSSED_CSS = "del, s, strike"
# Minor units shown apart from the whole amount: a superscript, or an element named for them.
_MINOR_WORDS = frozenset({"cents", "cent", "decimal", "decimals", "fraction", "minor"})
_MINOR_PART_CSS = "sup, " + ", ".join(f"[class*={word} i]" for word in sorted(_MINOR_WORDS))
_MINOR_DIGITS = re.compile(r"\d{2,3}\*?")  # and a footnote's asterisk
_MINOR_MARK = "\x01"
_MINOR_PART = re.compile(r"(\d(?:[\d.,' \u00a0\u202f]*\d)?)([.,]?)\s*\x01(\d{2,3})")
_GROUP_SEPARATOR = re.compile(r"[.,' \u00a0\u202f]")
# A list price's label ('Retail Price:', 'List Price:', 'Was:') is no price label: the sale price follows.
_PRICE_LABEL = label_pattern(
    r"(?<!retail )(?<!list )(?<!regular )(?<!original )(?<!compare at )(?<!type )"
    r"(?:(?:our|your|sale|special|online)\s+)?(?:price|preis|prix|precio|prezzo|prijs|cena|цена|fiyat)",
    r"[ \t\u00a0]*(?::|\n)\s*([^\n]{1,40})",
)
# The maker's suggested price: the last resort, when the page labels no price of its own.
_MSRP_LABEL = label_pattern(
    r"(?:starting\s+)?(?:MSRP|RRP|UVP|base\s+MSRP|manufacturer'?s suggested retail price)",
    r"[ \t\u00a0]*(?::|\n)\s*([^\n]{1,40})",
)


# -- price -----------------------------------------------------------------------------------------
@dataclass(slots=True)
class _PriceHints:
    currency: str | None
    hints: dict[str, str]


@dataclass(slots=True)
class _Candidate:
    node: LexborNode
    order: int
    walk: Walk
    inner: list[_Candidate]  # candidates inside this one


def visible_price(
    tree: LexborHTMLParser, chain: dict[int, int], hints: _PriceHints, page_text: str, after: int
) -> tuple[Price | None, bool]:
    """(price, whether the page is a listing). The price of the nearest group of price elements
    that has one (see _group_price), else a labelled "Price: ..." in the page text after the
    heading, else (a car or a made-to-order good shows no other) a labelled "MSRP: ...". A
    listing: the nearest group with prices has more blocks alike than one product shows."""
    candidates = _price_candidates(tree, chain)
    budget = _Budget(MAX_TEXTS)

    def parse(text: str) -> Price | None:
        return _parse_price(text, hints)

    for distance in sorted({candidate.walk.distance for candidate in candidates}):
        group = [candidate for candidate in candidates if candidate.walk.distance == distance]
        outcome, price = _group_price(group, hints, budget)
        if outcome == "listing" and _said_once(_PRICE_LABEL, page_text):
            # Recommendation tiles nearer than the product's own price, which a label shows once
            # ('Our Price' then '$30.99' in a plain <h2>): a listing's tiles would each label theirs.
            labelled = labelled_value(_PRICE_LABEL, page_text, after, parse)
            if labelled is not None:
                return labelled, False
        if outcome != "undecided":
            return price, outcome == "listing"

    labelled = labelled_value(_PRICE_LABEL, page_text, after, parse) or labelled_value(
        _MSRP_LABEL, page_text, after, parse
    )
    return labelled, False


def _said_once(label: re.Pattern[str], page_text: str) -> bool:
    """Whether `label` occurs exactly once in the page text's first LABEL_WINDOW characters."""
    found = 0
    for _ in label.finditer(page_text, 0, 2 * LABEL_WINDOW):
        found += 1
        if found > 1:
            return False
    return found == 1


def price_line(tree: LexborHTMLParser, page_text: str, after: int, hints: _PriceHints) -> Price | None:
    """A product page whose price element names itself nothing ('<strong>22,50 €</strong>'): the
    first of the _PRICE_LINES lines after the heading that is an amount with its currency and
    little else ('22,50 €', 'EUR 19.90'), unless crossed out. Read only once the page is known
    to show one product (no listing: its tiles would each show such a line)."""
    crossed = {clean_text(node.text()) for node in limited(tree.css(_CROSSED_CSS))}
    for line in page_text[after : after + 200 * _PRICE_LINES].splitlines()[:_PRICE_LINES]:
        line = line.strip()
        if len(line) > _PRICE_LINE_CHARS or sum(ch.isalpha() for ch in line) > _PRICE_LINE_LETTERS:
            continue
        if line in crossed or not any(ch.isdigit() for ch in line):
            continue
        price = _parse_price(line, hints)
        if price is not None and price.minor != 0 and _has_currency_marker(line):
            return price  # (a zero is an empty cart's total)
    return None


class _Budget:
    """How many more price texts may be read: nested containers each hold all the text inside."""

    def __init__(self, left: int) -> None:
        self.left = left

    def take(self) -> bool:
        self.left -= 1
        return self.left >= 0


def _price_candidates(tree: LexborHTMLParser, chain: dict[int, int]) -> list[_Candidate]:
    found = [
        _Candidate(node, order, walk_up(node, chain, tiers=True), [])
        for order, node in enumerate(limited(tree.css(_PRICE_CSS)))
    ]
    by_id = {candidate.node.mem_id: candidate for candidate in found}
    for candidate in found:
        for ancestor in candidate.walk.passed[1:]:
            if ancestor in by_id:
                by_id[ancestor].inner.append(candidate)
    # An element holding the heading (nothing passed on the way up) is a container, not a price.
    return [candidate for candidate in found if candidate.walk.passed and not candidate.walk.hidden]


def _group_price(group: list[_Candidate], hints: _PriceHints, budget: _Budget) -> tuple[str, Price | None]:
    """(outcome, price) for price elements equally near the heading: 'price', 'listing' (None),
    'spent' (the budget ran out first: None) or 'undecided'.

    Blocks are the elements not inside another one of the group. The block marked as the selling
    price ('our-price', 'sale-price', or text starting 'Now $52.00'), else the block highest in
    the tree (then the best tier, then page order) that holds a price gives it, unless
    MAX_PRICE_BLOCKS other blocks with numbers look just like it (same depth, tag and class):
    then this is a listing.
    A block showing a currency marker beats one showing a bare number ('15 copies' in a
    .club-price span above 'Online Price: $9.54'). Undecided when no block holds a price: the
    next group is tried.
    """
    counted = [candidate for candidate in group if candidate.walk.tier != EXCLUDED]
    nested = {id(member) for candidate in counted for member in candidate.inner}
    blocks = [candidate for candidate in counted if id(candidate) not in nested]
    bare: tuple[_Candidate, Price] | None = None  # the first block with a number but no currency marker
    zero: tuple[_Candidate, Price] | None = None  # the first marked zero: an empty 'Special Price: $0.00'
    for block in sorted(blocks, key=_block_rank):
        price, marked = _block_price(block, hints, budget)
        if price is not None and not marked and bare is None:
            bare = block, price
        elif price is not None and marked and not price.minor:
            zero = zero or (block, price)
        elif price is not None and marked:
            return ("listing", None) if _repeated(block, blocks, budget) else ("price", price)
        if budget.left <= 0:
            break
    if (found := bare or zero) is not None:
        return ("listing", None) if _repeated(found[0], blocks, budget) else ("price", found[1])
    return ("spent", None) if budget.left <= 0 else ("undecided", None)


def _block_rank(block: _Candidate) -> tuple[bool, int, int, int]:
    """Sale blocks first, then the highest in the tree, the best tier, page order."""
    tier = _shown_tier(block)
    return tier != SALE, len(block.walk.passed), tier, block.order


def _shown_tier(block: _Candidate) -> int:
    """The block's tier, or the one its text says when it is a plain block's: SALE when it starts
    with a sale word ('Now $52.00'), REGULAR with a list-price word ('RRP £8.99')."""
    if block.walk.tier != PLAIN:
        return block.walk.tier
    text = _price_text(block)
    if text and _SALE_WORD.match(text):
        return SALE
    return REGULAR if text and _LIST_WORD.match(text) else PLAIN


def _repeated(block: _Candidate, blocks: list[_Candidate], budget: _Budget) -> bool:
    """Whether more than MAX_PRICE_BLOCKS other blocks look just like `block` and hold numbers:
    listing tiles do; a product page's empty widget containers of the same class do not."""
    signature = _signature(block)
    numbered = 0
    for other in blocks:
        if other is block or _signature(other) != signature:
            continue
        if not budget.take():
            return False
        text = _price_text(other)
        numbered += bool(text) and any(ch.isdigit() for ch in text or "")
        if numbered >= MAX_PRICE_BLOCKS:
            return True
    return False


def _signature(candidate: _Candidate) -> tuple[int, str | None, str | None]:
    return len(candidate.walk.passed), candidate.node.tag, candidate.node.attributes.get("class")


def _block_price(block: _Candidate, hints: _PriceHints, budget: _Budget) -> tuple[Price | None, bool]:
    """The best price in a block: best tier, then one with a currency marker, then page order;
    never that of an element holding other marked prices besides its own ('Why pay $11.95? Our
    price $9.56' is read from its parts); and whether it shows a currency marker."""
    members = [block, *(inner for inner in block.inner if inner.walk.tier != EXCLUDED)]
    priced: dict[int, tuple[Price, bool]] = {}  # id(member) -> (price, has a currency marker)
    for member in sorted(members, key=lambda candidate: (candidate.walk.tier, candidate.order)):
        if not budget.take():
            break
        text = _price_text(member)
        price = _parse_price(text, hints) if text else None
        if price is not None and text is not None:
            priced[id(member)] = (price, _has_currency_marker(text))
    ranked = [
        (member.walk.tier, not priced[id(member)][1], member.order, priced[id(member)][0], member.node)
        for member in members
        if id(member) in priced and not _mixes_prices(member, priced)
    ]
    if not ranked:
        return None, False
    best = min(ranked, key=lambda item: item[:3])
    if best[1] and hints.currency is None and (beside := _priced_beside(best[3], best[4])) is not None:
        return beside, True
    return best[3], not best[1]


def _priced_beside(price: Price, node: LexborNode) -> Price | None:
    """A bare amount in the currency its neighbour element shows alone ('<i>US$</i><span>55.99
    </span>', '<span>12,99</span><span>€</span>'): the same amount with that currency."""
    for neighbour in (element_beside(node, before=True), element_beside(node, before=False)):
        sign = clean_text(neighbour.text(deep=True)) if neighbour is not None else None
        if sign and len(sign) <= _MAX_SIGN_CHARS and not any(ch.isdigit() for ch in sign):
            marked = parse_price_or_none(f"{sign} 1")
            if marked is not None and marked.currency is not None:
                return Price.from_amount(price.amount, marked.currency)
    return None


def _mixes_prices(member: _Candidate, priced: dict[int, tuple[Price, bool]]) -> bool:
    amount = priced[id(member)][0].amount
    inner_prices = (priced.get(id(inner)) for inner in member.inner)
    return any(found is not None and found[1] and found[0].amount != amount for found in inner_prices)


def _price_text(candidate: _Candidate) -> str | None:
    """The element's text without the crossed-out or excluded amounts inside it."""
    node = candidate.node
    attributes = node.attributes
    if attributes.get("itemprop") == "price" and clean_text(attributes.get("content")):
        return clean_text(attributes.get("content"))
    text = node.text(deep=True, separator="")
    if len(text) > 4 * _MAX_PRICE_CHARS and len(clean_text(text) or "") > 4 * _MAX_PRICE_CHARS:
        return _own_price_text(node)  # (indentation is no text: a page indented reads the same)
    text = (
        _marked_text(node) if node.css_first(_MINOR_PART_CSS) is not None else text + _minor_units_after(node)
    )
    removed = [inner.node for inner in candidate.inner if inner.walk.tier == EXCLUDED]
    for inner in [*removed, *node.css(_CROSSED_CSS), *_hidden_inside(node)]:
        text = text.replace(_marked_text(inner), " ", 1)
    cleaned = clean_text(_with_minor_units(_without_list_prices(node, text)))
    if cleaned is None or not _short(cleaned):
        return _own_price_text(node)  # a sentence ('30 € coupon and no annual fee...'), not a price
    return cleaned


def _hidden_inside(node: LexborNode) -> list[LexborNode]:
    """The hidden elements inside a price element ('<span class="hide">15</span>', a list price
    kept for scripts beside the shown '$15')."""
    return [inner for inner in node.traverse() if inner is not node and is_hidden(inner.attributes)]


def _marked_text(node: LexborNode) -> str:
    """The node's text, each part showing minor units apart ('2.999<sup>99</sup> Lei', '<span
    class=dollars>31</span><span class=cents>57</span>') marked for _with_minor_units."""
    texts = (inner for inner in node.traverse(include_text=True) if inner.tag == "-text")
    return "".join(_marked(inner.text(deep=False), inner.parent) for inner in texts)


def _marked(text: str, parent: LexborNode | None) -> str:
    """A text of a price element: minor units marked; a footnote's number set apart ('$49<sup>1</sup>');
    a sign with the minor units stays ('69<sup>€99</sup>')."""
    if not _shows_minor_units(parent):
        return text
    if _MINOR_DIGITS.fullmatch(text.strip()):  # '99', '83*'
        return f"{_MINOR_MARK}{text.strip()}"
    return f" {text}" if parent is not None and parent.tag == "sup" and text.strip().isdigit() else text


def _minor_units_after(node: LexborNode) -> str:
    """The minor units the next element shows, marked ('<span class=number>208,</span> <span
    class=decimal>60</span>'), or ''."""
    after = element_beside(node, before=False)
    if after is None or not _shows_minor_units(after):
        return ""
    text = after.text(deep=True, separator="").strip()
    return f"{_MINOR_MARK}{text}" if _MINOR_DIGITS.fullmatch(text) else ""


def _shows_minor_units(node: LexborNode | None) -> bool:
    return node is not None and (node.tag == "sup" or not class_tokens(node).isdisjoint(_MINOR_WORDS))


def _with_minor_units(text: str) -> str:
    """Marked minor units joined to the whole amount before them: '2.999 99 Lei' -> '2999.99 Lei',
    '208, 60' -> '208,60'; not after an amount with decimals of its own ('19,99<sup>12</sup>' is a
    footnote)."""
    if _MINOR_MARK not in text:
        return text

    def joined(match: re.Match[str]) -> str:
        whole, mark, minor = match.groups()
        if mark:
            return f"{whole}{mark}{minor}"
        groups = _GROUP_SEPARATOR.split(whole)
        if len(groups) > 1 and len(groups[-1]) != 3:
            return f"{whole} {minor}"
        return f"{''.join(groups)}.{minor}"

    return _MINOR_PART.sub(joined, text).replace(_MINOR_MARK, " ")


def _short(text: str) -> bool:
    """Whether price text is short enough to be a price, not a sentence around one."""
    return 0 < len(text) <= _MAX_PRICE_CHARS and text.count(" ") < _MAX_PRICE_WORDS


def _own_price_text(node: LexborNode) -> str | None:
    """The text of the element itself, without its children's: 'Now $52.00' of a price element
    that also holds a reviews widget; None when that is no short text with a digit either."""
    own = clean_text(node.text(deep=False))
    return own if own is not None and _short(own) and any(ch.isdigit() for ch in own) else None


def _without_list_prices(node: LexborNode, text: str) -> str:
    """The text without the parts a price element marks as list or old prices ('<li
    class=list>$79.99</li><li class=retail>$74.99</li>'), when another amount is left; a part
    without digits stays (its currency: '1,320<span class="info-unit">円</span>')."""
    rest = text
    for part in node.css("[class]")[:_MAX_PRICE_PARTS]:
        if class_tier(part.attributes) not in (REGULAR, EXCLUDED):
            continue
        shown = _marked_text(part)  # spelled as the text it is cut from
        if any(ch.isdigit() for ch in shown):
            rest = rest.replace(shown, " ", 1)
    return rest if rest != text and any(ch.isdigit() for ch in rest) else text


def _parse_price(text: str, hints: _PriceHints) -> Price | None:
    return parse_price_or_none(text, hints.currency, **hints.hints)


def _has_currency_marker(text: str) -> bool:
    price = parse_price_or_none(text)
    return price is not None and price.currency is not None


def price_hints(page: Page, profile: SiteProfile | None) -> _PriceHints:
    """The site's currency (profile, product meta tags, itemprop=priceCurrency: for prices shown
    without one) and the page's locale/tld hints (for ambiguous signs such as '$' or 'kr')."""
    tags = page.meta_tags
    currency_node = page.tree.css_first("[itemprop=priceCurrency]")
    declared = [
        profile.currency if profile is not None else None,
        tags.get("product:price:currency"),
        tags.get("og:price:currency"),
        currency_node.attributes.get("content") if currency_node is not None else None,
    ]
    codes = [(code or "").strip().upper() for code in declared]
    currency = next((code for code in codes if code in ISO_CODES), None)
    return _PriceHints(currency, page.price_hints)


def page_currency(page: Page) -> str | None:
    """The currency the page declares for prices shown without one (see price_hints)."""
    return price_hints(page, None).currency
