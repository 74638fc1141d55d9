"""Availability normalisation: schema.org URLs, OpenGraph values and shop wording -> one enum."""

from __future__ import annotations

import re
from enum import StrEnum


class Availability(StrEnum):
    """The same symbols as the Avro Availability enum (UNKNOWN there stands for "not found" here: None)."""

    IN_STOCK = "IN_STOCK"
    OUT_OF_STOCK = "OUT_OF_STOCK"
    LIMITED = "LIMITED"
    PREORDER = "PREORDER"
    BACKORDER = "BACKORDER"
    DISCONTINUED = "DISCONTINUED"


# Exact keys after lower-casing and dropping everything but letters: schema.org names
# (https://schema.org/InStock -> "instock"), OpenGraph values ("oos", "in stock").
_EXACT = {
    "instock": Availability.IN_STOCK,
    "onlineonly": Availability.IN_STOCK,
    "instoreonly": Availability.IN_STOCK,
    "available": Availability.IN_STOCK,
    "outofstock": Availability.OUT_OF_STOCK,
    "outstock": Availability.OUT_OF_STOCK,  # Salesforce Commerce Cloud shops' 'OutStock'
    "oos": Availability.OUT_OF_STOCK,
    "soldout": Availability.OUT_OF_STOCK,
    "reserved": Availability.OUT_OF_STOCK,
    "limitedavailability": Availability.LIMITED,
    "preorder": Availability.PREORDER,
    "presale": Availability.PREORDER,
    "pending": Availability.PREORDER,
    "backorder": Availability.BACKORDER,
    "availablefororder": Availability.BACKORDER,
    "madetoorder": Availability.BACKORDER,
    "discontinued": Availability.DISCONTINUED,
}

# Free-text wording, tried in order: negative phrases first ("not in stock" contains "in stock",
# "niedostępny" contains "dostępny"), then the ones saying when, then the plain "in stock". The
# common shop phrases of en, de, fr, es, it, nl, pl, pt, ru, uk, tr, ja, zh, sv, da, no, fi, cs, hu
# and ro. Each entry: (value, unmistakable wording, other wording). Unmistakable wording says the
# stock even in a short line of free text ('Sold out', 'Nur noch 2'); the other wording only where
# the page says it speaks of stock (a stock element, an "Availability:" label), since free text also
# says 'Limited Edition' and 'This combination is not available'.
_PHRASES: list[tuple[Availability, str, str]] = [
    (
        Availability.OUT_OF_STOCK,
        r"out[ -]of[ -]stock|(?<!almost )sold ?out|no longer available|currently unavailable"
        r"|ausverkauft|nicht (?:mehr )?(?:auf lager|verfügbar|lieferbar)|épuisé|rupture de stock"
        r"|agotado|esaurito|non disponibile|uitverkocht|niet (?:op voorraad|leverbaar)|niedostępn"
        r"|esgotado|нет в (?:наличии|продаже)|немає в (?:наявності|продажу)|tükendi|tükenmiş|stokta yok"
        r"|slutsåld|udsolgt|utsolgt|loppuunmyyty|vyprodáno|není skladem|elfogyott"
        r"|在庫切れ|売り切れ|品切れ|缺货|缺貨|售罄|无货|無貨|품절|hết hàng|stok habis|نفدت الكمية|نفذت الكمية"
        r"|εξαντλημέν|εξαντλήθηκε|สินค้าหมด|אזל מהמלאי",
        "|".join(
            [
                r"unavailable|not (?:currently )?(?:in stock|available)|we don't know when or if",
                r"nicht vorrätig|vergriffen|derzeit nicht (?:verfügbar|lieferbar|erhältlich)",
                r"en rupture|indisponible|(?:non|plus) disponible",
                r"sin (?:stock|existencias)|fuera de stock|no disponible",
                r"non (?:più )?disponibile",
                r"niet beschikbaar",
                r"brak (?:w magazynie|towaru|na stanie)|wyprzedan",
                r"indisponível|sem estoque|fora de estoque|não disponível",
                r"распродан|закончил|відсутн|закінчи",
                r"stokta bulunmamaktadır|temin edilemiyor|satışta değil",  # noqa: RUF001
                r"slutsålt|slut i lager|tillfälligt slut|(?:ej|inte|ikke) (?:i|på) lager|ei varastossa"
                r"|loppu varastosta|vypredané|nie je skladom|nincs készleten|stoc epuizat|indisponibil",
                r"在庫なし|已售完|售完|재고 없음|غير متوفر|غير متاح|tidak tersedia",
                r"μη διαθέσιμ|δεν είναι διαθέσιμ",
            ]
        ),
    ),
    (
        Availability.DISCONTINUED,
        r"nicht mehr erhältlich",
        r"discontinued|fuori produzione|descatalogado|снят с производства"  # noqa: RUF001
        r"|üretimi durduruldu|生産終了|販売終了|停产",
    ),
    # A count left says LIMITED whatever follows ('Only 2 left in stock (more on the way)').
    (
        Availability.LIMITED,
        r"only \d+ left|^\W*\d+ left\W*$|nur noch \d+|осталось \d+|залишилось \d+",
        r"plus que \d+|solo quedan? \d+|son \d+ ürün|zbývá \d+|zostáva \d+",
    ),
    (
        Availability.PREORDER,
        r"pre-?order|vorbestell|précommande",
        r"pre-?sale|coming soon|reserva|preventa|prenota|pré-?venda|предзаказ|передзамовлення"
        r"|ön sipariş|przedsprzedaż|予約|预售|预订",
    ),
    (
        Availability.BACKORDER,
        r"back[- ]?order|more on the way|in stock soon|nicht lagernd",
        r"nachbestell|on order|bientôt (?:en stock|disponible)|demnächst (?:wieder )?(?:verfügbar|lieferbar)"
        r"|под заказ|під замовлення",
    ),
    (
        Availability.LIMITED,
        r"few left|low (?:in )?stock|last items|almost (?:gone|sold out)|nur noch wenige|derniers? articles?",
        r"limited (?:stock|availability|quantit|supply)|^\W*limited\W*$"
        r"|last (?:items?|few|pieces?|units?)\b|nur noch|wenige|derniers|últimas unidades|ultimi pezzi"
        r"|laatste|ostatnie sztuki|осталось мало",
    ),
    # 'In Stock. Usually ships in 1 business day' is in stock; 'Ships in 3 weeks' alone is not.
    # Unmistakable: a line that is just 'In stock', or counts the stock ('72 in stock', 'In Stock: 6').
    (Availability.IN_STOCK, r"^\W*in stock\W*$|\b\d+ in stock\b|\bin stock:\s*\d+", r"\bin stock\b"),
    (Availability.BACKORDER, "", r"ships in \d+"),
    (
        Availability.IN_STOCK,
        r"usually (?:ships|dispatched|will be shipped)"
        r" (?:within|in \d+(?:-\d+)? (?:business )?(?:hours?|days?))"
        r"|^\W*(?:auf lager|sofort lieferbar|en stock|disponible|disponibile|op voorraad|in magazzino"
        r"|em estoque|в наличии|skladem|na skladě|på lager|i lager)\W*$",
        "|".join(
            [
                r"in stock|available|usually (?:ships|dispatched) within|ships within",
                r"auf lager|lieferbar|verfügbar|sofort versandfertig",
                r"en stock|disponible|disponibile|in magazzino|disponibilità immediata",
                r"op voorraad|leverbaar|dostępn|w magazynie|em estoque|disponível",
                r"в наличии|є в наявності|в наявності|stokta(?: var)?|在庫あり|有货|有貨|现货|現貨",
                r"재고 있음|구매 가능|còn hàng|tersedia|متوفر|متاح|διαθέσιμ|σε απόθεμα|มีสินค้า|במלאי",
                r"\b(?:i|på) lager\b|varastossa|skladem|na skladě|skladom|na sklade|raktáron|készleten"
                r"|în stoc",
            ]
        ),
    ),
]
_PHRASE_PATTERNS = [
    (value, re.compile("|".join(filter(None, (unmistakable, other))), re.IGNORECASE))
    for value, unmistakable, other in _PHRASES
]
_UNMISTAKABLE = [
    (value, re.compile(unmistakable, re.IGNORECASE)) for value, unmistakable, _ in _PHRASES if unmistakable
]
_SOLD_OUT = _UNMISTAKABLE[0][1]
# The unmistakable BACKORDER phrases above, in the spellings pages use (for mentions_backorder).
_BACKORDER_WORDS = (
    *(
        "ackorder",
        "ack order",
        "ack-order",
        "ackOrder",
        "ack Order",
        "ack-Order",
        "ACKORDER",
        "ACK ORDER",
        "ACK-ORDER",
    ),
    *("ore on the way", "ore on the Way", "ORE ON THE WAY", "tock soon", "tock Soon", "TOCK SOON"),
    *("icht lagernd", "ICHT LAGERND"),
)
_NOT_LETTERS = re.compile(r"[^a-z]+")
_ONE_STATEMENT_CHARS = 100  # longer text may name several states ('In stock online, sold out in store')


def normalise_availability(value: str | None) -> Availability | None:
    """'https://schema.org/InStock', 'oos', 'Only 3 left!', 'Ausverkauft' -> Availability, else None."""
    if not value:
        return None
    text = value.strip()
    # schema.org URL ('.../InStock/', '.../InStock?ref=x' too) or 'schema:InStock'
    tail = text.split("?", 1)[0].rstrip("/#").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    exact = _EXACT.get(_NOT_LETTERS.sub("", tail.lower()))
    if exact is not None:
        return exact
    for availability, pattern in _PHRASE_PATTERNS:
        if pattern.search(text):
            return availability
    return None


def stated_availability(value: str | None) -> Availability | None:
    """normalise_availability of a value that should state one availability (a structured
    property's): None when it names several, as an element's text may ('Availability: In Stock -
    items are available ... Out of Stock - not available via the website': a legend, no state)."""
    found = normalise_availability(value)
    if found is None or not value or len(value) <= _ONE_STATEMENT_CHARS:
        return found
    named = {availability for availability, pattern in _PHRASE_PATTERNS if pattern.search(value)}
    return found if len(named) == 1 else None


def unmistakable_availability(text: str) -> Availability | None:
    """The availability a line of free text states in unmistakable words ('Sold out', 'Only 2
    left', not 'Limited Edition'), else None."""
    return next((value for value, pattern in _UNMISTAKABLE if pattern.search(text)), None)


def sold_out_marks(text: str) -> int:
    """How often `text` says sold out in unmistakable words: more than once, it lists sizes or
    colours each marked ('38" sold out 40" sold out'), not the product's stock."""
    return len(_SOLD_OUT.findall(text))


def mentions_backorder(html: str) -> bool:
    """Whether a page's HTML holds the words of a backorder (_PHRASES' unmistakable ones), as
    pages spell them: a few substring tests, where lower-casing the page or a regex over it would
    cost more than the rest of its extraction. The visible page then says whether it shows them."""
    return any(word in html for word in _BACKORDER_WORDS)


# How buyable an offer is, for choosing among a product's offers (schemaorg.best_offer): 0 can be
# bought now (in stock, limited, or not said), 1 can be ordered for later, 2 cannot be bought.
_STOCK_RANK = {
    None: 0,
    Availability.IN_STOCK: 0,
    Availability.LIMITED: 0,
    Availability.PREORDER: 1,
    Availability.BACKORDER: 1,
    Availability.OUT_OF_STOCK: 2,
    Availability.DISCONTINUED: 2,
}


def stock_rank(availability: Availability | None) -> int:
    """0 buyable now (IN_STOCK, LIMITED, or unknown), 1 orderable (PREORDER, BACKORDER), 2 not."""
    return _STOCK_RANK[availability]
