"""The demo shop's product catalogue: generated from a seed, and the ground truth for tests.

Static facts (title, brand, sku, category, rating...) are drawn once per product from
`(seed, product number)`. What changes over time — price and availability — is a pure function
of `(seed, product number, epoch)`, so any test can ask what a page showed at a given epoch.

Each product keeps its state for `change_period` epochs (1 to 8, per product, phase-shifted), so
advancing the clock by one epoch changes roughly a third of the catalogue, not all of it.

The three shops sell the same products under shop-specific product ids and in their own
currency (USD, EUR, GBP); the manufacturer's sku is shared, as it is between real retailers.
"""

from __future__ import annotations

import hashlib
import random
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property, lru_cache

SHOPS = ("microdata", "jsonld", "js")

# Each shop's id prefix, currency and the rate (in basis points) from the catalogue's USD base price.
_SHOP_TERMS = {
    "microdata": ("A", "USD", 10_000),
    "jsonld": ("B", "EUR", 9_200),
    "js": ("C", "GBP", 7_900),
}

# schema.org availability names, with the share of (product, state) pairs that get each.
# Buy now, order now, cannot buy: how the offer rule ranks availabilities (see taken_offer).
BUYABLE_RANK = {"InStock": 0, "LimitedAvailability": 0, "PreOrder": 1, "BackOrder": 1, "OutOfStock": 2}
AVAILABILITY_WEIGHTS = {
    "InStock": 75,
    "OutOfStock": 12,
    "LimitedAvailability": 5,
    "PreOrder": 4,
    "BackOrder": 4,
}
# Each availability as the event contract names it (schemas' Availability enum): what extraction
# must read from a page showing it.
CONTRACT_AVAILABILITY = {
    "InStock": "IN_STOCK",
    "OutOfStock": "OUT_OF_STOCK",
    "LimitedAvailability": "LIMITED",
    "PreOrder": "PREORDER",
    "BackOrder": "BACKORDER",
}

# top level -> sub level -> leaf -> singular noun used in titles.
_CATEGORY_TREE: dict[str, dict[str, dict[str, str]]] = {
    "Electronics": {
        "Audio": {"Headphones": "Headphones", "Speakers": "Speaker", "Microphones": "Microphone"},
        "Computers": {"Laptops": "Laptop", "Monitors": "Monitor", "Keyboards": "Keyboard"},
        "Cameras": {"Action Cameras": "Action Camera", "Lenses": "Lens", "Tripods": "Tripod"},
    },
    "Home & Kitchen": {
        "Cookware": {"Frying Pans": "Frying Pan", "Saucepans": "Saucepan", "Knives": "Chef's Knife"},
        "Appliances": {"Kettles": "Kettle", "Toasters": "Toaster", "Blenders": "Blender"},
        "Furniture": {"Chairs": "Chair", "Desks": "Desk", "Shelves": "Shelf"},
    },
    "Sports & Outdoors": {
        "Camping": {"Tents": "Tent", "Sleeping Bags": "Sleeping Bag", "Stoves": "Camping Stove"},
        "Cycling": {"Helmets": "Helmet", "Bike Lights": "Bike Light", "Locks": "Bike Lock"},
        "Fitness": {"Dumbbells": "Dumbbell Set", "Yoga Mats": "Yoga Mat", "Rowers": "Rowing Machine"},
    },
    "Fashion": {
        "Shoes": {"Sneakers": "Sneaker", "Boots": "Boot", "Sandals": "Sandal"},
        "Bags": {"Backpacks": "Backpack", "Wallets": "Wallet", "Suitcases": "Suitcase"},
    },
    "Toys & Games": {
        "Board Games": {"Strategy Games": "Strategy Game", "Party Games": "Party Game"},
        "Building Sets": {"Bricks": "Brick Set", "Models": "Model Kit"},
    },
    "Garden": {
        "Tools": {"Spades": "Spade", "Pruners": "Pruner", "Hoses": "Garden Hose"},
        "Outdoor Living": {"Grills": "Grill", "Parasols": "Parasol"},
    },
}

# Some brands carry non-ASCII letters (all within cp1252) and '&', to exercise decoding and escaping.
_BRANDS = (
    "Acme",
    "Nordkraft",
    "Müller & Söhne",
    "Café Noir",
    "Señor Gadget",
    "Zürich Outdoor",
    "Bjørn Works",
    "Hart & Co",
    "Lumière",
    "Kestrel",
    "Orbitron",
    "Pinewood",
    "Vega Labs",
    "Crème Studio",
    "Tundra",
)
_ADJECTIVES = (
    "Compact",
    "Pro",
    "Ultra",
    "Classic",
    "Wireless",
    "Eco",
    "Deluxe",
    "Smart",
    "Rugged",
    "Lite",
    "Max",
    "Travel",
)
_COLOURS = ("Black", "White", "Silver", "Navy", "Forest Green", "Crimson", "Beige", "Graphite")
_MATERIALS = ("Aluminium", "Steel", "Oak", "Recycled plastic", "Cotton", "Leather", "Bamboo", "Glass")


@dataclass(frozen=True, slots=True)
class Category:
    """A leaf category: products live here; `path` runs from the top level down."""

    slug: str
    path: tuple[str, ...]
    noun: str
    product_numbers: list[int] = field(default_factory=list, compare=False)


@dataclass(frozen=True, slots=True)
class Product:
    """Facts about a product that never change."""

    number: int
    sku: str
    title: str
    brand: str
    base_price_cents: int
    rating: Decimal | None
    review_count: int
    category: Category
    attributes: tuple[tuple[str, str], ...]
    description: str
    change_period: int
    phase: int
    slug: str  # from the title, computed once: every link to the product needs it


@dataclass(frozen=True, slots=True)
class Offer:
    seller: str
    price_minor: int
    availability: str


@dataclass(frozen=True, slots=True)
class ProductSnapshot:
    """What one shop shows for a product at one epoch: the ground truth extraction must match.

    `offers[0]` is the shop's own offer and always the cheapest; `price_minor`/`availability`
    repeat it. `image_path` is relative to the shop's base URL. What extraction must report as
    the product's price and availability is `taken_offer`'s.
    """

    number: int
    shop: str
    product_id: str
    sku: str
    title: str
    brand: str
    price_minor: int
    currency: str
    availability: str
    rating: Decimal | None
    review_count: int
    image_path: str
    category_path: tuple[str, ...]
    attributes: tuple[tuple[str, str], ...]
    description: str
    offers: tuple[Offer, ...]

    @property
    def taken_offer(self) -> Offer:
        """The offer a shopper takes, by the offer rule of docs/extraction.md: of the offers the
        page lists (only the JSON-LD shop lists marketplace offers), the cheapest of the most
        buyable. So a sold-out own offer gives way to an in-stock marketplace one."""
        listed = self.offers if self.shop == "jsonld" else self.offers[:1]
        return min(listed, key=lambda offer: (BUYABLE_RANK[offer.availability], offer.price_minor))


def stable_hash(*parts: object) -> int:
    """A 64-bit hash of the parts that is the same in every process (unlike hash())."""
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def unit_interval(*parts: object) -> float:
    """A deterministic number in [0, 1) for the parts."""
    return stable_hash(*parts) / 2**64


def slugify(text: str) -> str:
    """'Café Noir & Co' -> 'cafe-noir-co'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    kept = "".join(ch.lower() if ch.isalnum() else "-" for ch in ascii_text)
    return "-".join(filter(None, kept.split("-")))


class CatalogError(ValueError):
    """A product number, shop name or catalogue size that does not exist."""


class Catalog:
    """`size` products numbered 1..size, generated from `seed`."""

    def __init__(self, seed: int = 42, size: int = 10_000) -> None:
        if size < 1:
            raise CatalogError(f"catalogue size must be at least 1, got {size}")
        self.seed = seed
        self.size = size
        self.categories = _build_categories()
        self.products = [self._generate(number) for number in range(1, size + 1)]
        for product in self.products:
            product.category.product_numbers.append(product.number)
        # Snapshots are pure functions of their arguments; a category page needs 24 of them.
        self._snapshots = lru_cache(maxsize=32_768)(self._snapshot)

    @cached_property
    def categories_by_slug(self) -> dict[str, Category]:
        return {category.slug: category for category in self.categories}

    def get(self, number: int) -> Product:
        if not 1 <= number <= self.size:
            raise CatalogError(f"no product {number}: the catalogue holds 1..{self.size}")
        return self.products[number - 1]

    def __contains__(self, number: object) -> bool:
        return isinstance(number, int) and 1 <= number <= self.size

    def product(self, number: int, epoch: int, shop: str = "microdata") -> ProductSnapshot:
        """The ground truth for `shop`'s page of product `number` at `epoch` (cached per instance)."""
        return self._snapshots(number, epoch, shop)

    def _snapshot(self, number: int, epoch: int, shop: str = "microdata") -> ProductSnapshot:
        static = self.get(number)
        prefix, currency, _ = _shop_terms(shop)
        own = Offer(shop_name(shop), self.price_minor(number, epoch, shop), self.availability(number, epoch))
        return ProductSnapshot(
            number=number,
            shop=shop,
            product_id=f"{prefix}{number:06d}",
            sku=static.sku,
            title=static.title,
            brand=static.brand,
            price_minor=own.price_minor,
            currency=currency,
            availability=own.availability,
            rating=static.rating,
            review_count=static.review_count,
            image_path=f"/images/{number}.gif",
            category_path=static.category.path,
            attributes=static.attributes,
            description=static.description,
            offers=(own, *self._marketplace_offers(static, epoch, own)),
        )

    def state_epoch(self, number: int, epoch: int) -> int:
        """Which state a product is in at `epoch`: it changes every `change_period` epochs."""
        product = self.get(number)
        return (epoch + product.phase) // product.change_period

    def price_minor(self, number: int, epoch: int, shop: str = "microdata") -> int:
        """The shop's price in minor units: base price moved by up to ±25 %, ending in .99."""
        _, _, rate = _shop_terms(shop)
        state = self.state_epoch(number, epoch)
        factor_percent = 75 + stable_hash(self.seed, "price", number, state) % 51
        # Integer arithmetic: cents x percent x basis points, floored to whole currency units.
        whole_units = self.get(number).base_price_cents * factor_percent * rate // (100 * 100 * 10_000)
        return max(0, whole_units - 1) * 100 + 99

    def availability(self, number: int, epoch: int) -> str:
        pick = stable_hash(self.seed, "stock", number, self.state_epoch(number, epoch)) % 100
        for name, weight in AVAILABILITY_WEIGHTS.items():
            if pick < weight:
                return name
            pick -= weight
        raise AssertionError("availability weights must sum to 100")

    def _marketplace_offers(self, product: Product, epoch: int, own: Offer) -> tuple[Offer, ...]:
        """A fifth of products also have a dearer marketplace offer (JSON-LD shop shows it)."""
        if stable_hash(self.seed, "marketplace", product.number) % 5:
            return ()
        return (Offer("Marketplace Seller", own.price_minor + 500, "InStock"),)

    def _generate(self, number: int) -> Product:
        rng = random.Random(stable_hash(self.seed, "product", number))
        category = rng.choice(self.categories)
        brand = rng.choice(_BRANDS)
        model = f"{rng.choice('XSMTR')}{rng.randint(1, 99) * 10}"
        title = f"{brand} {rng.choice(_ADJECTIVES)} {category.noun} {model}"
        review_count = 0 if rng.random() < 0.1 else int(rng.lognormvariate(3.5, 1.2)) + 1
        rating = Decimal(rng.randint(10, 50)) / 10 if review_count else None
        attributes = (
            ("Colour", rng.choice(_COLOURS)),
            ("Material", rng.choice(_MATERIALS)),
            ("Weight", f"{rng.randint(1, 250) / 10} kg"),
        )
        return Product(
            number=number,
            sku=f"{slugify(brand)[:3].upper()}-{number:05d}-{rng.randint(100, 999)}",
            title=title,
            brand=brand,
            base_price_cents=int(rng.lognormvariate(4.0, 1.4) * 100) + 200,
            rating=rating,
            review_count=review_count,
            category=category,
            attributes=attributes,
            description=_description(rng, title, category),
            change_period=rng.randint(1, 8),
            phase=rng.randint(0, 7),
            slug=slugify(title),
        )


def shop_name(shop: str) -> str:
    return {"microdata": "Acme Outlet", "jsonld": "Kaufhaus Nord", "js": "Gadgetry"}[_check_shop(shop)]


def _check_shop(shop: str) -> str:
    if shop not in _SHOP_TERMS:
        raise CatalogError(f"unknown shop {shop!r}: choose one of {', '.join(SHOPS)}")
    return shop


def _shop_terms(shop: str) -> tuple[str, str, int]:
    return _SHOP_TERMS[_check_shop(shop)]


def _build_categories() -> list[Category]:
    return [
        Category(slug=slugify(f"{sub} {leaf}"), path=(top, sub, leaf), noun=noun)
        for top, subs in _CATEGORY_TREE.items()
        for sub, leaves in subs.items()
        for leaf, noun in leaves.items()
    ]


def _description(rng: random.Random, title: str, category: Category) -> str:
    qualities = rng.sample(["durable", "lightweight", "quiet", "precise", "easy to clean", "stylish"], 3)
    return (
        f"The {title} is a {qualities[0]}, {qualities[1]} and {qualities[2]} choice in "
        f"{category.path[-1].lower()}. Designed for everyday use and backed by our "
        f"{rng.randint(1, 5)}-year warranty, it ships within {rng.randint(1, 4)} working days."
    )
