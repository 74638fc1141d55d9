"""The products of a domain: drawn from (seed, domain, product number), and the tests' ground truth.

    CURRENCIES                           currency -> (symbol, minor-unit digits)
    Product, Expected                    a product as its page shows it; what an extractor must read
    domain_currency(seed, index)         the currency a domain prices in
    make_product(seed, index, number, currency) -> Product

Product paths come in shapes that the "disallow" robots.txt variant tells apart (webworld.robots):
plain `/p/<slug>-<n>`, private `/p/<slug>-<n>-private` (disallowed), a look-alike
`/p/<slug>-private-<n>` (allowed: "-private" is not at the end), archived `/p/archive-<slug>-<n>`
(disallowed) and current archive `/p/archive-current-<slug>-<n>` (allowed by a longer Allow).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from webworld.draws import rng
from webworld.robots import ARCHIVE, ARCHIVE_CURRENT, PRIVATE_SUFFIX, PRODUCTS

CURRENCIES = {"USD": ("$", 2), "EUR": ("€", 2), "GBP": ("£", 2), "JPY": ("¥", 0)}
# Path shape -> (share of products, path template); the shares sum to 1.
_SHAPES = {
    "plain": (0.70, PRODUCTS + "{slug}-{number}"),
    "private": (0.10, PRODUCTS + "{slug}-{number}" + PRIVATE_SUFFIX),
    "private_lookalike": (0.05, PRODUCTS + "{slug}" + PRIVATE_SUFFIX + "-{number}"),
    "archive": (0.10, ARCHIVE + "{slug}-{number}"),
    "archive_current": (0.05, ARCHIVE_CURRENT + "{slug}-{number}"),
}
_BRANDS = ("Nordlicht", "Acme", "Kestrel", "Bluewater", "Orchid", "Ferro", "Tallis", "Quill", "Umbra")
_ADJECTIVES = ("Compact", "Classic", "Smart", "Rugged", "Silent", "Travel", "Deluxe", "Mini", "Pro")
_NOUNS = ("Kettle", "Lamp", "Backpack", "Blender", "Headphones", "Desk", "Jacket", "Drill", "Teapot")


class Expected(NamedTuple):
    """What an extractor must read from a product page."""

    title: str
    price: Decimal
    currency: str


@dataclass(frozen=True)
class Product:
    number: int  # 0-based within its domain
    title: str
    brand: str
    sku: str
    price: Decimal
    currency: str
    in_stock: bool
    path: str

    @property
    def expected(self) -> Expected:
        return Expected(self.title, self.price, self.currency)

    @property
    def price_text(self) -> str:
        """The visible price, e.g. "$19.99" or "¥1500"."""
        return f"{CURRENCIES[self.currency][0]}{self.price}"


def domain_currency(seed: int, index: int) -> str:
    return rng(seed, "currency", index).choice(list(CURRENCIES))


def make_product(seed: int, index: int, number: int, currency: str) -> Product:
    draw = rng(seed, "product", index, number)
    brand, adjective, noun = draw.choice(_BRANDS), draw.choice(_ADJECTIVES), draw.choice(_NOUNS)
    title = f"{brand} {adjective} {noun}"
    digits = CURRENCIES[currency][1]
    minor = draw.randrange(1, 500) * 10**digits + draw.randrange(10**digits)
    shapes = list(_SHAPES.values())
    _, template = draw.choices(shapes, weights=[share for share, _ in shapes])[0]
    return Product(
        number=number,
        title=title,
        brand=brand,
        sku=f"WW{index:05d}-{number:05d}",
        price=Decimal(minor).scaleb(-digits),
        currency=currency,
        in_stock=draw.random() < 0.9,
        path=template.format(slug=title.lower().replace(" ", "-"), number=number),
    )
