"""Availability as a shopper sees it: stock elements and their wording, an 'Availability:' label,
the add-to-cart button and links, sold-out badges, stock wording just after the heading."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache, partial
from itertools import islice, takewhile

from selectolax.lexbor import LexborHTMLParser, LexborNode

from consumers.extract.availability import (
    Availability,
    normalise_availability,
    sold_out_marks,
    stated_availability,
    unmistakable_availability,
)
from consumers.extract.values import clean_text, is_hidden
from consumers.extract.visible.nearness import class_and_id, lineage, nearest, walk_up
from consumers.extract.visible.shared import (
    CART_LINK_STEPS,
    MAX_CANDIDATES,
    T,
    css_string,
    label_pattern,
    labelled_value,
    limited,
    short_text,
)

_STOCK_CSS = ", ".join(
    f"[{attr}*={word} i]"
    for word in ("stock", "availab", "inventory", "lieferbar")
    for attr in ("class", "id")
)
_BADGE_CSS = "[class*=sold-out i], [class*=soldout i], [class*=out-of-stock i], [class*=outofstock i]"

# 'Add to cart' in the shop languages (the button's label, name, class or id).
_ADD_TO_CART = (
    r"add[\s_-]?(?:\w+[\s_-]){0,2}to[\s_-]?(?:\w+[\s_-])?(?:cart|bag|basket|trolley)|addtocart"
    r"|in den (?:warenkorb|einkaufswagen|korb)|ajouter au panier|añadir al carrito|agregar al carrito"
    r"|aggiungi al carrello|metti nel carrello|in winkelwagen|do koszyka|sepete ekle|adicionar ao carrinho"
    r"|adicionar à sacola|в корзину|у кошик|カートに(?:入れる|追加)|購入する|加入购物车|加入購物車"  # noqa: RUF001
    r"|lägg i (?:varukorg|kundvagn)|læg i kurv|legg i handlekurv|lisää ostoskoriin|do košíku|kosárba"
    r"|(?:προσθήκη )?στο καλάθι|añadir a la cesta|adicionar ao cesto|aan (?:de )?winkelwagen"
    r"|in (?:de )?winkelmand|tilføj til kurv|legg i handlevogn|adaugă în coș|adauga in cos"
    r"|장바구니|thêm vào giỏ|tambah(?:kan)? ke keranjang|masukkan keranjang|أضف إلى السلة|أضف للسلة"
    r"|إضافة إلى السلة|ใส่ตะกร้า|เพิ่มลงตะกร้า|הוסף לסל|הוספה לסל"
)
# Out-of-stock sign-ups: 'Notify me', 'Email me when available', 'Benachrichtigen', 'Avvisami'.
_NOTIFY_ME = (
    r"notify me|e-?mail me when (?:(?:it'?s|this is) )?(?:available|in stock|back)|join the wait ?list"
    r"|benachrichtig|m'avertir|me prévenir|prévenez-moi|avísame|avvisami|powiadom|houd me op de hoogte"
    r"|avise-me|сообщить о поступлении"  # noqa: RUF001
)
# 'Buy' in the shop languages: a button's label, or a script-driven link's ('Comprar').
_BUY = (
    r"buy[\s_-]?now|kaufen|acheter|comprar|koupit|kúpiť|купить|kup teraz|购买|acquista ora|satın al"  # noqa: RUF001
    r"|바로 ?구매|mua ngay|beli sekarang|اشتر الآن|ซื้อเลย|ซื้อทันที|קנה עכשיו"
)
_CART = re.compile(rf"{_ADD_TO_CART}|warenkorb|{_BUY}|sold[\s_-]?out|pre-?order|{_NOTIFY_ME}", re.IGNORECASE)
_SCRIPTED_BUY = re.compile(rf"{_ADD_TO_CART}|{_BUY}|\bbuy\b", re.IGNORECASE)
# An add-to-cart link (not a mere 'Warenkorb' or 'Cart (0)' link to the cart).
_CART_LINK = re.compile(_ADD_TO_CART, re.IGNORECASE)
# A link labelled 'Add To Cart' that opens a back-in-stock sign-up: the product is out of stock.
_SIGN_UP_HREF = re.compile(r"back[\s_-]?in[\s_-]?stock|notify", re.IGNORECASE)
# A link that puts the product in the cart, whatever its label ('Buy'): Shopify's and Magento's
# '/cart/add', WooCommerce's '?add-to-cart=', '/basket/add'.
_CART_HREF = re.compile(r"(?:cart|basket)/add\b|add[_-]?to[_-]?(?:cart|basket)", re.IGNORECASE)
# Links and what scripts make buttons of: role=button, an onclick, a 'btn'/'button' class
# ('<div class="button koopbutton" onclick="AddProductToBasket(...)">'); each element once.
_SCRIPTED_CONTROL_CSS = (
    "a, [role=button]:not(a), [onclick]:not(a):not([role=button]):not(button):not(input),"
    " div:is([class~=btn], [class~=button]):not([role=button]):not([onclick])"
)
_PRODUCT_BUTTONS = 2  # buy links a product shows at most: 'Add to cart' and 'Buy now'
_STOCK_LINES = 40  # lines of page text after the heading searched for stock wording, blank ones too
_STOCK_LINE_CHARS = 60
_IN_STOCK_CHARS = 40  # "In stock" is said briefly; longer text merely saying "available" is not it
# Messages about the shopper's choice of size, colour or other variant, or about a missing
# picture ('Bild nicht verfügbar'), not the product's stock.
_VARIANT_MESSAGE = re.compile(
    r"\b(?:this|that|the|your|selected)\s+(?:selection|combination|variant|size|colou?r|option)\b"
    r"|diese (?:auswahl|kombination|variante|größe)|cette (?:combinaison|taille|sélection)"
    r"|\b(?:image|picture|photo|bild|abbildung|foto|imagen|immagine)s?\b",
    re.IGNORECASE,
)
_NOTIFY = re.compile(_NOTIFY_ME, re.IGNORECASE)
_ORDERABLE = frozenset({Availability.BACKORDER, Availability.PREORDER})
_STOCK_LABEL = label_pattern(
    r"Availability|Stock|Verfügbarkeit|Lieferstatus|Lagerstatus|Disponibilité|Disponibilidad|Disponibilità"
    r"|Disponibilidade|Beschikbaarheid|Dostępność|Dostupnost|Dostupnosť|Наличие|Наявність|Stok durumu"
    r"|Tillgänglighet|Saatavuus|Elérhetőség|Disponibilitate|在庫|库存",
    r"[ \t\u00a0]*:\s*([^\n]{1,60})",
)


# -- availability ----------------------------------------------------------------------------------
def availability(
    tree: LexborHTMLParser, chain: dict[int, int], page_text: str, after: int, button: _CartButton
) -> Availability | None:
    """The first of, strongest first: itemprop=availability; stock/availability elements' wording;
    an "Availability: ..." label; the add-to-cart button's wording ('Sold out', 'Pre-order',
    'Notify me'); a sold-out badge; stock wording other than "in stock" just after the heading
    ('Only 2 left', 'Backordered'); an add-to-cart button, enabled or not (in stock); an
    add-to-cart link or image button (in stock: older shops' buy buttons), else a back-in-stock
    sign-up linked in its place (out of stock). In stock gives way to a count left or a backorder
    said just after the heading."""
    wording = cache(partial(_stock_wording_after_heading, tree, page_text, after))  # read once
    signals: list[Callable[[], Availability | None]] = [
        lambda: _first(nearest(tree.css("[itemprop=availability]"), chain), _itemprop_availability),
        lambda: _first(
            nearest(tree.css(_STOCK_CSS), chain), lambda node: _stock_element(short_text(node, 200))
        ),
        lambda: labelled_value(_STOCK_LABEL, page_text, after, normalise_availability),
        lambda: button.worded,
        lambda: _sold_out_badge(tree, chain),
        wording,
        # Weakest, disabled or not: shops render the button disabled until a script has run or
        # the shopper picks a size (8 of the corpus's 10 such pages were in stock).
        lambda: Availability.IN_STOCK if button.present else None,
        lambda: _linked_stock(tree, chain),
        lambda: _stock_wording_after_heading(tree, page_text, after, in_stock=True),
    ]
    found = next((value for value in (signal() for signal in signals) if value is not None), None)
    if found is Availability.IN_STOCK and wording() in (Availability.LIMITED, Availability.BACKORDER):
        return wording()  # 'Availability: In stock' above 'Only 1 left in stock'
    return found


def _sold_out_badge(tree: LexborHTMLParser, chain: dict[int, int]) -> Availability | None:
    """One or two sold-out badges saying so: the product's. More are per variant (sizes) or per
    tile; and a class alone proves little ('supress-if-out-of-stock' on an 'Add to Bag' button)."""
    badges = nearest(tree.css(_BADGE_CSS), chain)
    if not 0 < len(badges) <= 2:
        return None
    return (
        Availability.OUT_OF_STOCK
        if _worded(short_text(badges[0], 100)) is Availability.OUT_OF_STOCK
        else None
    )


def _first(nodes: list[LexborNode], convert: Callable[[LexborNode], T | None]) -> T | None:
    return next((value for value in map(convert, nodes) if value is not None), None)


def _itemprop_availability(node: LexborNode) -> Availability | None:
    attributes = node.attributes
    return stated_availability(attributes.get("href") or attributes.get("content") or short_text(node, 200))


def _worded(text: str | None) -> Availability | None:
    """Stock wording of an element or button; "in stock" only from brief text (not 'See available
    gift options'); a 'Notify me' is out of stock unless the text says the shop takes orders now
    ('Temporarily on backorder, you can order it now ... Notify me when in stock')."""
    value = normalise_availability(text)
    if text and _NOTIFY.search(text) and value not in _ORDERABLE:
        return Availability.OUT_OF_STOCK
    return None if value is Availability.IN_STOCK and len(text or "") > _IN_STOCK_CHARS else value


def _stock_element(text: str | None) -> Availability | None:
    """A stock element's wording: its "Availability: ..." label's value when it holds one (a block
    of labelled values: 'Price: $162.99 Availability: 26 In Stock Quantity: ...'); never a message
    about a variant choice ('Sorry, this selection is currently unavailable')."""
    if not text or _VARIANT_MESSAGE.search(text):
        return None
    labelled = labelled_value(_STOCK_LABEL, text, 0, normalise_availability)
    if labelled is None and sold_out_marks(text) > 1:
        return None  # a size list marking the sold-out sizes
    return labelled if labelled is not None else _worded(text)


def _stock_wording_after_heading(
    tree: LexborHTMLParser, page_text: str, after: int, in_stock: bool = False
) -> Availability | None:
    """Short lines just after the heading that say more than "in stock" ('Only 2 left',
    'Backordered'), or with `in_stock` also that ('72 in stock', 'Usually ships within 24 hours'):
    the first _STOCK_LINES lines (blank ones count), each of at most _STOCK_LINE_CHARS (a longer line is
    prose), in unmistakable words only (free text says 'Limited Edition' and 'This combination is
    not available'), and shown (not a hidden 'SOLD OUT' a script reveals). Different lines saying
    sold out ('38" sold out', '40" sold out') mark sizes, not the product."""
    lines = page_text[after : after + 500 * _STOCK_LINES].splitlines()[:_STOCK_LINES]
    counted = [(line.strip().casefold(), sold_out_marks(line)) for line in lines]
    marked = {line: marks for line, marks in counted if marks}
    variants = len(marked) > 1 or any(marks > 1 for marks in marked.values())
    for line in lines:
        short = len(line) <= _STOCK_LINE_CHARS and not _VARIANT_MESSAGE.search(line)
        value = unmistakable_availability(line) if short else None
        if value is Availability.OUT_OF_STOCK and variants:
            continue
        if value is not None and (in_stock or value is not Availability.IN_STOCK) and _shown_line(tree, line):
            return value
    return None


def _shown_line(tree: LexborHTMLParser, line: str) -> bool:
    """Whether an element showing `line` of the page text is not hidden, nor inside a hidden one
    (when no element is found to hold it, it counts as shown)."""
    holders = limited(tree.css(f"body :lexbor-contains({css_string(line.strip())})"))
    return not holders or any(not _inside_hidden(node) for node in holders)


def _inside_hidden(node: LexborNode) -> bool:
    below_body = takewhile(lambda current: current.tag != "body", lineage(node))
    return any(is_hidden(current.attributes) for current in below_body)


@dataclass(frozen=True, slots=True)
class _CartButton:
    present: bool = False
    disabled: bool = False
    worded: Availability | None = None  # what its label says beyond "add to cart"


def cart_button(tree: LexborHTMLParser, chain: dict[int, int]) -> _CartButton:
    """The add-to-cart button nearest the heading ('Sold out', 'Pre-order', 'Notify me' count)."""
    for node, label in _cart_buttons(tree, chain):
        worded = _worded(label)
        return _CartButton(
            True, _disabled(node.attributes), None if worded is Availability.IN_STOCK else worded
        )
    return _CartButton()


def orderable(tree: LexborHTMLParser, chain: dict[int, int], button: _CartButton) -> bool:
    """Whether the page shows a way to buy the product: an enabled add-to-cart button, or the
    product's buy link (a disabled button a script enables may sit beside it)."""
    return (button.present and not button.disabled) or _linked_stock(tree, chain) is Availability.IN_STOCK


def one_cart_button(tree: LexborHTMLParser, chain: dict[int, int]) -> bool:
    """Whether the page shows exactly one add-to-cart button (a listing shows one a tile), or
    else the product's own buy link (an 'Add to Cart' link beside the heading)."""
    buttons = len(list(islice(_cart_buttons(tree, chain), 2)))
    return buttons == 1 or (buttons == 0 and _linked_stock(tree, chain) is Availability.IN_STOCK)


def _cart_buttons(tree: LexborHTMLParser, chain: dict[int, int]) -> Iterator[tuple[LexborNode, str]]:
    """The add-to-cart buttons ('Sold out', 'Notify me' ones too), nearest the heading first,
    each with its label."""
    for node in nearest(tree.css("button, input[type=submit], input[type=button]"), chain):
        attributes = node.attributes
        label = short_text(node, 100) or clean_text(attributes.get("value")) or ""
        if _CART.search(f"{label} {attributes.get('name') or ''} {class_and_id(attributes)}"):
            yield node, label


def _linked_stock(tree: LexborHTMLParser, chain: dict[int, int]) -> Availability | None:
    """In stock when the product's add-to-cart link or image button (no <button>: 'Add to
    basket' as an <a>, an <input type=image>) is shown; out of stock when, in its place, a link
    labelled as the cart opens a back-in-stock sign-up ('Add To Cart' to backInStock.jsp)."""
    buy_links, sign_ups = _cart_links(tree)
    if _the_products(buy_links, chain):
        return Availability.IN_STOCK
    return Availability.OUT_OF_STOCK if _the_products(sign_ups, chain) else None


def _the_products(links: list[LexborNode], chain: dict[int, int]) -> bool:
    """Whether one of `links` shares a block with the heading within CART_LINK_STEPS steps up, or
    the shown ones are the product's one or two buttons, each labelled its own way ('Add to cart',
    'Buy now'; old table layouts nest deeper): the product's own, not the recommendation tiles'
    (which repeat one label)."""
    labels: list[str] = []
    for node in links:
        walk = walk_up(node, chain)
        if walk.passed and not walk.hidden:
            if walk.distance <= CART_LINK_STEPS:
                return True
            labels.append((short_text(node, 100) or "").casefold())
    return 0 < len(labels) <= _PRODUCT_BUTTONS and len(set(labels)) == len(labels)


def _cart_links(tree: LexborHTMLParser) -> tuple[list[LexborNode], list[LexborNode]]:
    """The first MAX_CANDIDATES add-to-cart links and image buttons (image buttons first; not a
    disabled one), and those of them that open a back-in-stock sign-up. Every link is read: a
    page's menus hold hundreds of links before the product's own. A link without an href (or to
    '#' or 'javascript:') or a control made by a script (role=button, an onclick, a 'btn' class)
    counts too, labelled 'Buy' as well: script-driven shops render their buy button so (VTEX's
    <a class="buy-button">Comprar</a>)."""
    buy_links: list[LexborNode] = []
    sign_ups: list[LexborNode] = []
    # One match an element: lexbor reports an <a role=button> once per selector it matches.
    for node in [*tree.css("input[type=image]"), *tree.css(_SCRIPTED_CONTROL_CSS)]:
        attributes = node.attributes
        image = node.css_first("img[alt]") if node.tag == "a" else None
        label = " ".join(
            filter(
                None,
                (
                    short_text(node, 100),
                    attributes.get("title"),
                    attributes.get("alt"),
                    image.attributes.get("alt") if image is not None else None,
                    class_and_id(attributes),
                ),
            )
        )
        href = attributes.get("href") or ""
        scripted = node.tag != "a" or not href.strip("#") or href.startswith("javascript:")
        buys = (
            _CART_LINK.search(label) or _CART_HREF.search(href) or (scripted and _SCRIPTED_BUY.search(label))
        )
        if not buys or _disabled(attributes):
            continue
        (sign_ups if _SIGN_UP_HREF.search(href) else buy_links).append(node)
        if len(buy_links) + len(sign_ups) == MAX_CANDIDATES:
            break
    return buy_links, sign_ups


def _disabled(attributes: dict[str, str | None]) -> bool:
    """A disabled control: the attribute, ARIA's, or the class CSS frameworks grey it out with."""
    return (
        "disabled" in attributes
        or (attributes.get("aria-disabled") or "").lower() == "true"
        or "disabled" in (attributes.get("class") or "").split()
    )
