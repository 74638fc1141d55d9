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
    "limitedavailability": Availability.LIMITED,
    "preorder": Availability.PREORDER,
    "presale": Availability.PREORDER,
    "pending": Availability.PREORDER,
    "backorder": Availability.BACKORDER,
    "availablefororder": Availability.BACKORDER,
    "madetoorder": Availability.BACKORDER,
    "discontinued": Availability.DISCONTINUED,
}

# Free-text wording, tried in order: negative phrases first ("not in stock" contains "in stock").
_PHRASES = [
    (
        Availability.OUT_OF_STOCK,
        r"out of stock|sold ?out|unavailable|not (?:in stock|available)|no longer available|ausverkauft"
        r"|nicht (?:auf lager|verfügbar|lieferbar)|épuisé|rupture de stock|agotado|esaurito|uitverkocht",
    ),
    (Availability.DISCONTINUED, r"discontinued|nicht mehr erhältlich"),
    (Availability.PREORDER, r"pre-?order|pre-?sale|vorbestell|coming soon|précommande|reserva"),
    (Availability.BACKORDER, r"back[- ]?order|nachbestell|on order|ships in \d+"),
    (Availability.LIMITED, r"only \d+ left|few left|limited|low stock|nur noch|wenige|derniers"),
    (
        Availability.IN_STOCK,
        r"in stock|available|auf lager|lieferbar|verfügbar|en stock|disponible|op voorraad",
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
