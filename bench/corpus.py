"""The labelled product pages extraction is scored on: the corpus on disk (real pages and what a
person read off them, tests/fixtures/extraction/ANNOTATING.md), its split into dev and holdout
sites, and the fields scored, as extract_product's result gives them. Read by
bench.extraction_score, bench.markup_variants, bench.demo_pages and bench.price_strings.
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from consumers.extract import ProductData, extract_product

# Extraction's fixtures: the corpus pages and the price-string sets (bench.price_strings).
FIXTURES = Path(__file__).resolve().parent.parent / "tests/fixtures/extraction"
DEFAULT_CORPUS = FIXTURES / "pages"
FIELDS = ("title", "price", "currency", "availability", "sku", "brand")


@dataclass(frozen=True, slots=True)
class LabelledPage:
    """A page and what a person (or the demo catalogue) says extraction should find on it."""

    name: str
    url: str
    html: str
    expected: dict[str, object]
    price_text: str | None = None
    site: str = ""


def load_corpus(directory: Path) -> list[LabelledPage]:
    """Every <slug>.json under `directory` that has its <slug>.html, in path order."""
    pages = []
    for path in sorted(directory.rglob("*.json")):
        page_html = path.with_suffix(".html")
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            text = page_html.read_text(encoding="utf-8", errors="replace")
        except (OSError, ValueError) as error:
            print(f"skipping {path}: {error}", file=sys.stderr)
            continue
        if not isinstance(document, dict):
            print(f"skipping {path}: not a JSON object", file=sys.stderr)
            continue
        pages.append(
            LabelledPage(
                name=str(path.relative_to(directory).with_suffix("")),
                url=document.get("url") or f"https://{document.get('site') or path.parent.name}/{path.stem}",
                html=text,
                expected=dict(document.get("expected") or {}),
                price_text=document.get("price_text"),
                site=str(document.get("site") or path.parent.name),
            )
        )
    return pages


SPLITS = ("all", "dev", "holdout")


def in_holdout(site: str) -> bool:
    """Whether a site's pages are held out: a stable hash of its name (lower case, no 'www.') is 3
    modulo 4. (Until round 5 every odd hash was held out; round 6 moved the sites of hash 1 into
    dev, see docs/extraction.md.)

    Whole sites go one way, so rules tuned on the dev pages are measured on sites they never saw."""
    name = site.strip().lower().removeprefix("www.")
    return hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest()[-1] % 4 == 3


def split_pages(pages: list[LabelledPage], split: str) -> list[LabelledPage]:
    """The pages of `split`: 'dev', 'holdout' (`in_holdout`) or 'all'."""
    if split == "all":
        return pages
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}")
    return [page for page in pages if in_holdout(page.site) == (split == "holdout")]


# -- the scored fields ------------------------------------------------------------------------------
def predicted(data: ProductData | None) -> dict[str, object]:
    """The scored fields of an extraction result (all None for no product)."""
    if data is None:
        return dict.fromkeys(FIELDS)
    price = data.price
    return {
        "title": data.title,
        "price": price.amount if price is not None else None,
        "currency": price.currency if price is not None else None,
        "availability": str(data.availability) if data.availability is not None else None,
        "sku": data.sku,
        "brand": data.brand,
    }


def our_fields(page_html: str, url: str) -> dict[str, object]:
    return predicted(extract_product(page_html, url))
