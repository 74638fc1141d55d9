"""The product's heading, the element prices are measured from, and the title it gives.

The heading is the product's <h1>; on a page without one (older shops), the first <h2> the
page's <title> repeats (subheading); with neither, the one element whose class or id calls it
the product's name or title (name_element).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from selectolax.lexbor import LexborHTMLParser, LexborNode

from consumers.extract.page import NOT_TEXT_TAGS, Page
from consumers.extract.titles import WORD_BREAK, clean_title, normalised, site_names, spaced
from consumers.extract.values import clean_text, is_hidden, node_text, shown_text
from consumers.extract.visible.nearness import NOT_WORD, class_and_id, class_tokens, lineage
from consumers.extract.visible.shared import element_beside, limited, navigational, shown_from

_MAX_TITLE_CHARS = 300
_MAX_BRAND_WORDS = 3  # of an <h1> that is a brand over the name ('Buster + Punch')
_MAX_H1 = 5  # <h1> elements compared with a structured name
# Inner elements that set a brand apart from the name in a heading: a link, or a line of its own
# (a <span> or <strong> runs on into the name: "<strong>BenQ</strong> BL3290QT" shows one name).
_BRAND_LINE_TAGS = frozenset({"a", "div", "p"})
_BYLINE = re.compile(r"by\s", re.IGNORECASE)  # 'by Jerry Spinelli'
_SKU_CLASS = re.compile(r"(?:^|[\s_-])sku(?:$|[\s_-])", re.IGNORECASE)  # 'productView-sku', 'item_sku'
_MIN_ECHO_CHARS = 3  # words of a heading the page title must repeat: not 'of', '7', 'x'
_MAX_H2 = 10  # <h2> elements looked at on a page without a product <h1>
_LOGO = re.compile(r"logo|masthead|navbar|site[-_]?(?:title|name|brand)", re.IGNORECASE)
_TITLE_TOKENS = frozenset({"title", "name", "producttitle", "productname"})
_NAMED_TOKENS = frozenset(
    {"producttitle", "productname", "itemtitle", "itemname", "artname", "artikelname", "produktname"}
)
_NAME_CSS = "[class*=name i], [class*=title i], [id*=name i], [id*=title i]"
_H1_STYLED_CSS = '[role=heading][aria-level="1"], [class~=h1]'  # a top heading without the tag
_NAME_TAGS = frozenset(
    {"div", "span", "p", "strong", "b", "label", "h2", "h3", "h4", "h5", "h6", "td", "font"}
)
_ASIDE_TOKENS = frozenset(
    {"recs", "recommendation", "recommendations", "related", "similar", "carousel"}
    | {"also", "upsell", "upsells", "crosssell", "crosssells"}  # 'also-purchased', Magento's 'upsell'
    | {"modal", "popover", "dialog"}
    | {"breadcrumb", "breadcrumbs"}  # '<h1>Monitors</h1>' as the breadcrumbs' last step
)
_PRODUCT_TOKENS = frozenset({"product", "pdp", "item", "artikel", "produkt", "produit", "producto"})


# -- the heading and the title ---------------------------------------------------------------------
def product_heading(tree: LexborHTMLParser, site_names: set[str]) -> LexborNode | None:
    """The product's <h1>, by rank: one calling itself a title or name (h1#title,
    h1.product_title, h1.pdp__name) inside main/article/a product block; one calling itself so
    elsewhere; any inside such a block; any other; one in a recommendations block or dialog; a
    hidden one (class="hidden" may be undone by a media query). Never one that is the shop's logo
    or name. Page order breaks ties. With no <h1>, an element marked or styled as one (ARIA's
    level-1 heading, Bootstrap's and Magento's class "h1") by the same ranks."""
    return _ranked_heading(tree, tree.css("h1"), site_names) or _ranked_heading(
        tree, tree.css(_H1_STYLED_CSS), site_names
    )


def _ranked_heading(
    tree: LexborHTMLParser, nodes: list[LexborNode], site_names: set[str]
) -> LexborNode | None:
    """The first of the best rank; of several, one the page's <title> names first ('Pillow -
    JCPenney' names the plain <h1> 'Pillow', not a reviews widget's <h1 class=BVQATitle>)."""
    ranked: list[tuple[int, int, LexborNode, str]] = []
    for order, node in enumerate(limited(nodes)):
        text = node_text(node) or ""
        if not _names_something(text) or normalised(text) in site_names:
            continue
        inside = heading_context(node)
        if inside == "logo" or node.css_first('a[href="/"]') is not None:
            continue
        named = bool(class_tokens(node) & _TITLE_TOKENS)
        rank = {"aside": 4, "hidden": 5, "product": 0 if named else 2}.get(inside, 1 if named else 3)
        ranked.append((rank, order, node, text))
    if len(ranked) > 1:
        titled = _titled(tree, [text for *_, text in ranked])
        ranked = [entry for entry in ranked if entry[3] == titled] or ranked
    return min(ranked, key=lambda item: item[:2])[2] if ranked else None


def _titled(tree: LexborHTMLParser, texts: list[str]) -> str | None:
    """Of the headings' texts, the one the page's <title> starts with (two words or more)."""
    title = tree.css_first("title")
    page_title = spaced(node_text(title) or "") if title is not None else ""
    named = [text for text in texts if len(text.split()) >= 2 and page_title.startswith(spaced(text))]
    return max(named, key=len) if named else None


def echoed(text: str | None, tree: LexborHTMLParser, tags: dict[str, str]) -> bool:
    """Whether the page's <title> or og:title repeats at least half the words of `text` (a
    product's heading; a banner or a section heading is not repeated). True without a title."""
    page_title = page_title_text(tree, tags)
    if not page_title or not text:
        return True
    titled = set(_words_of(page_title))
    words = [word for word in _words_of(text) if len(word) >= _MIN_ECHO_CHARS]
    return not words or 2 * sum(word in titled for word in words) >= len(words)


def page_titles(tree: LexborHTMLParser, tags: dict[str, str]) -> list[str]:
    """The page's og:title and <title> text, those it has: what the page calls itself."""
    title = tree.css_first("title")
    return [text for text in (clean_text(tags.get("og:title")), node_text(title) if title else None) if text]


def page_title_text(tree: LexborHTMLParser, tags: dict[str, str]) -> str:
    """og:title and the <title> text, one after the other."""
    return " ".join(page_titles(tree, tags))


def _words_of(text: str) -> list[str]:
    return NOT_WORD.split(text.casefold())


def subheading(
    tree: LexborHTMLParser, tags: dict[str, str], site_names: set[str]
) -> tuple[LexborNode | None, str | None]:
    """A page without a product <h1> (many 2011-style shops): the first of its first few <h2>
    whose text, or the text before its first inner element ('Dark Secrets 1' of 'Dark Secrets 1
    <span>: Legacy of Lies</span>'), the page's <title> or og:title repeats: the product's name,
    and the heading prices are measured from."""
    page_title = normalised(page_title_text(tree, tags))
    if not page_title:
        return None, None
    for node in tree.css("h2")[:_MAX_H2]:
        for text in (node_text(node), clean_text(node.text(deep=False))):
            key = normalised(text or "")
            if len(key) < 3 or key in site_names or not _names_something(text) or key not in page_title:
                continue
            if heading_context(node) in ("", "product"):
                return node, text
    return None, None


def name_element(tree: LexborHTMLParser, site_names: set[str]) -> LexborNode | None:
    """A page with no heading for the product at all: the first element whose class or id calls it
    the product's name or title ('product-name', 'productTitle', 'ProductDetails_NameLabel'), shown
    and outside the site's header, one of its kind (a listing repeats its tiles' class with other
    names; a page may show the one name twice, for desktop and mobile)."""
    candidates = [
        node
        for node in limited(tree.css(_NAME_CSS))
        if node.tag in _NAME_TAGS and _names_element(class_tokens(node))
    ]
    classes = [node.attributes.get("class") for node in candidates]
    for node, kind in zip(candidates, classes, strict=True):
        text = node_text(node)
        key = normalised(text or "")
        if not _names_something(text) or key in site_names:
            continue
        if kind and classes.count(kind) > 1 and _names_other(key, kind, candidates, classes):
            continue
        if heading_context(node) in ("", "product"):
            return node
    return None


def _names_other(key: str, kind: str, candidates: list[LexborNode], classes: list[str | None]) -> bool:
    """Whether an element of the same class names something other than `key`: a listing's tiles
    (read only when a class repeats)."""
    return any(
        normalised(node_text(other) or "") != key
        for other, other_kind in zip(candidates, classes, strict=True)
        if other_kind == kind
    )


def _names_element(tokens: frozenset[str]) -> bool:
    return not navigational(tokens) and (  # a menu's title ('title-main-menu': 'Buy Online')
        bool(tokens & _PRODUCT_TOKENS and tokens & {"name", "title"})
        or bool(tokens & _NAMED_TOKENS)
        or tokens >= {"main", "title"}
    )


def _names_something(text: str | None) -> bool:
    """A title has letters and is not a paragraph ('9780586068960' in an h1 is an ISBN)."""
    return bool(text) and len(text or "") <= _MAX_TITLE_CHARS and any(ch.isalpha() for ch in text or "")


def heading_context(node: LexborNode) -> str:
    """Where a heading sits: 'logo' (a logo, or the site's header), 'hidden', 'aside' (a
    recommendations block, a dialog, the breadcrumbs), 'product' (main/article/a product block),
    else ''.
    (An article's own <header> is no site header.)"""
    product = logo = header = hidden = aside = False
    for current in lineage(node):
        if current.tag in ("body", "html"):
            break
        attributes = current.attributes
        tokens = class_tokens(current)
        # Never shown: hidden, or in a <noscript> ("<h1>Please enable JavaScript</h1>") or <template>.
        hidden = hidden or is_hidden(attributes) or current.tag in NOT_TEXT_TAGS
        logo = logo or bool(_LOGO.search(class_and_id(attributes)))
        header = header or current.tag == "header"
        aside = aside or current.tag in ("aside", "dialog") or bool(tokens & _ASIDE_TOKENS)
        product = product or current.tag in ("main", "article") or bool(tokens & _PRODUCT_TOKENS)
    if logo or (header and not product):
        return "logo"
    if hidden or aside:
        return "hidden" if hidden else "aside"
    return "product" if product else ""


def brand_over_name(heading: LexborNode, page_title: str) -> tuple[str, str] | None:
    """(brand, name) when the <h1> is the brand over the product's name in the <h2> right after it
    ('<h1>Kryptonite</h1><h2>KryptoLok Series 2</h2>') and the page's title joins the two
    ('Kryptonite KryptoLok Series 2 - Campus Bike Shop')."""
    follower = element_beside(heading, before=False)
    if follower is None or follower.tag != "h2":
        return None
    brand, name = node_text(heading), node_text(follower)
    if not brand or not name or len(brand.split()) > _MAX_BRAND_WORDS:
        return None
    return (brand, name) if spaced(page_title).startswith(spaced(f"{brand} {name}")) else None


def product_title(
    tree: LexborHTMLParser, tags: dict[str, str], heading: LexborNode | None, url: str
) -> str | None:
    if heading is not None:
        heading = _joined_at_word_breaks(heading)
        return _without_tail(heading, shown_text(heading))
    names = site_names(tags, url)
    for text in page_titles(tree, tags):
        if len(text) <= _MAX_TITLE_CHARS:
            cleaned = clean_title(text, names)  # the shop's name or a page type alone: no product
            if cleaned is not None:
                return cleaned
    return None


def _joined_at_word_breaks(heading: LexborNode) -> LexborNode:
    """The heading without its <wbr> (a line-break chance inside a word, 'höhenverstellb<wbr>ar'
    on eBay), parsed again so that the word's parts are one text: text reading puts a space
    between texts."""
    if heading.css_first("wbr") is None:
        return heading
    body = LexborHTMLParser(WORD_BREAK.sub("", heading.html or "")).body
    return body.child if body is not None and body.child is not None else heading


def without_badge(heading: LexborNode, text: str, page_title: str) -> str:
    """A heading's text without the badge its first element shows ('<span>Neuheit</span> Lenovo
    L24i-40'): a word or two the page's title leaves out before a name it repeats whole; or
    without a brand line over a name that starts with the brand ('<span>Michael Kors</span>
    Michael Kors Gorgeous Gift Set')."""
    badge = _end_element_text(heading, last=False)
    if not badge or not text.startswith(badge):
        return text
    rest = text[len(badge) :].strip()
    if spaced(rest).startswith(f"{spaced(badge)} "):
        return rest
    titled = normalised(page_title)
    if (
        len(badge.split()) > 2
        or normalised(badge) in titled
        or len(rest.split()) < 2
        or normalised(rest) not in titled
    ):
        return text
    return rest


def _without_tail(heading: LexborNode, text: str | None) -> str | None:
    """A heading's text without the byline its last element adds ('Crash <em>by Jerry
    Spinelli</em>' is 'Crash': the author, not the name) or the item number an element classed
    as one shows ('Staple Tee <label class="productView-sku">5001</label>')."""
    last = _end_element(heading, last=True)
    tail = node_text(last) if last is not None else None
    if last is None or not text or not tail or not text.endswith(tail):
        return text
    if _BYLINE.match(tail) or _SKU_CLASS.search(last.attributes.get("class") or ""):
        return text[: -len(tail)].strip() or text
    return text


def _end_element_text(node: LexborNode, last: bool) -> str | None:
    """The text of the element `node` starts (or ends) with, blank text and comments aside; None
    when it starts (or ends) with text of its own."""
    child = _end_element(node, last)
    return node_text(child) if child is not None else None


def _end_element(node: LexborNode, last: bool) -> LexborNode | None:
    child = shown_from(node.last_child if last else node.child, backwards=last)
    return child if child is not None and child.tag != "-text" else None


def heading_text(page: Page, matches: Callable[[str], bool], brand: str | None = None) -> str | None:
    """The text of the first of the page's first few <h1> that `matches` accepts (shown, not the
    logo), else, on a page with no product <h1>, of the element naming the product when `matches`
    accepts it, or None. With `brand`: not an <h1> that sets the brand apart inside it (its own
    link, div or paragraph: a label over the name)."""
    key = normalised(brand) if brand else None
    for node in page.tree.css("h1")[:_MAX_H1]:
        text = shown_text(node)
        if not text or not matches(text) or heading_context(node) in ("logo", "hidden"):
            continue
        if key and any(
            inner.tag in _BRAND_LINE_TAGS and normalised(inner.text(deep=True, separator=" ")) == key
            for inner in limited(node.css("*"))
        ):
            continue
        return text
    if product_heading(page.tree, page.site_names) is not None:
        return None
    name = name_element(page.tree, page.site_names)
    text = shown_text(name) if name is not None else None
    return text if text and matches(text) else None
