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
# and ro.
_PHRASES = [
    (
        Availability.OUT_OF_STOCK,
        "|".join(
            [
                r"out[ -]of[ -]stock|(?<!almost )sold ?out|unavailable"
                r"|not (?:currently )?(?:in stock|available)|no longer available|we don't know when or if",
                r"ausverkauft|nicht (?:auf lager|verfügbar|lieferbar|vorrätig)|vergriffen"
                r"|derzeit nicht (?:verfügbar|lieferbar|erhältlich)",
                r"épuisé|rupture de stock|en rupture|indisponible|(?:non|plus) disponible",
                r"agotado|sin (?:stock|existencias)|fuera de stock|no disponible",
                r"esaurito|non (?:più )?disponibile",
                r"uitverkocht|niet (?:op voorraad|leverbaar|beschikbaar)",
                r"niedostępn|brak (?:w magazynie|towaru|na stanie)|wyprzedan",
                r"esgotado|indisponível|sem estoque|fora de estoque|não disponível",
                r"нет в наличии|распродан|закончил|немає в наявності|відсутн|закінчи",
                r"tükendi|stokta (?:yok|bulunmamaktadır)|temin edilemiyor|satışta değil",  # noqa: RUF001
                r"slutsåld|slutsålt|(?:ej|inte|ikke) (?:i|på) lager|udsolgt|utsolgt|loppuunmyyty"
                r"|ei varastossa|vyprodáno|není skladem|vypredané|nie je skladom|elfogyott|nincs készleten"
                r"|stoc epuizat",
                r"在庫切れ|売り切れ|品切れ|在庫なし|缺货|售罄|无货|已售完",
            ]
        ),
    ),
    (
        Availability.DISCONTINUED,
        r"discontinued|nicht mehr erhältlich|fuori produzione|descatalogado|снят с производства"  # noqa: RUF001
        r"|üretimi durduruldu|生産終了|停产",
    ),
    # A count left says LIMITED whatever follows ('Only 2 left in stock (more on the way)').
    (
        Availability.LIMITED,
        r"only \d+ left|nur noch \d+|plus que \d+|solo quedan? \d+|son \d+ ürün|осталось \d+|залишилось \d+"
        r"|zbývá \d+|zostáva \d+",
    ),
    (
        Availability.PREORDER,
        r"pre-?order|pre-?sale|vorbestell|coming soon|précommande|reserva|preventa|prenota"
        r"|pré-?venda|предзаказ|передзамовлення|ön sipariş|przedsprzedaż|予約|预售|预订",
    ),
    (
        Availability.BACKORDER,
        r"back[- ]?order|nachbestell|on order|more on the way|in stock soon"
        r"|bientôt (?:en stock|disponible)|demnächst (?:wieder )?(?:verfügbar|lieferbar)",
    ),
    (
        Availability.LIMITED,
        r"few left|limited (?:stock|availability|quantit|supply)|^\W*limited\W*$|low (?:in )?stock"
        r"|last (?:items?|few|pieces?|units?)\b|almost (?:gone|sold out)|nur noch|wenige"
        r"|derniers|últimas unidades|ultimi pezzi"
        r"|laatste|ostatnie sztuki|осталось мало",
    ),
    # 'In Stock. Usually ships in 1 business day' is in stock; 'Ships in 3 weeks' alone is not.
    (Availability.IN_STOCK, r"\bin stock\b"),
    (Availability.BACKORDER, r"ships in \d+"),
    (
        Availability.IN_STOCK,
        "|".join(
            [
                r"in stock|available|usually (?:ships|dispatched) within|ships within",
                r"auf lager|lieferbar|verfügbar|sofort versandfertig",
                r"en stock|disponible|disponibile|in magazzino|disponibilità immediata",
                r"op voorraad|leverbaar|dostępn|w magazynie|em estoque|disponível",
                r"в наличии|є в наявності|в наявності|stokta(?: var)?|在庫あり|有货|现货",
                r"\b(?:i|på) lager\b|varastossa|skladem|na skladě|skladom|na sklade|raktáron|készleten"
                r"|în stoc",
            ]
        ),
    ),
]
_PHRASE_PATTERNS = [(value, re.compile(pattern, re.IGNORECASE)) for value, pattern in _PHRASES]
_NOT_LETTERS = re.compile(r"[^a-z]+")


def normalise_availability(value: str | None) -> Availability | None:
    """'https://schema.org/InStock', 'oos', 'Only 3 left!', 'Ausverkauft' -> Availability, else None."""
    if not value:
        return None
    text = value.strip()
    tail = text.rsplit("/", 1)[-1].rsplit(":", 1)[-1]  # schema.org URL or 'schema:InStock'
    exact = _EXACT.get(_NOT_LETTERS.sub("", tail.lower()))
    if exact is not None:
        return exact
    for availability, pattern in _PHRASE_PATTERNS:
        if pattern.search(text):
            return availability
    return None


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
