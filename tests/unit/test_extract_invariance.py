"""Extraction reads the document, not its spelling: every corpus page written another way a browser
renders identically (bench/markup_variants.py) gives the same product.

Each page is checked in two of the variants, taken in turn, so that every variant meets pages of
every kind of markup; `python -m bench.markup_variants` checks every page in every variant.
"""

from __future__ import annotations

import pytest

from bench.corpus import DEFAULT_CORPUS, LabelledPage, load_corpus, our_fields
from bench.markup_variants import VARIANTS, rewritten

PAGES = load_corpus(DEFAULT_CORPUS)
NAMES = list(VARIANTS)
VARIANTS_A_PAGE = 2


def _checks() -> list[tuple[LabelledPage, str]]:
    return [
        (page, NAMES[(index * VARIANTS_A_PAGE + turn) % len(NAMES)])
        for index, page in enumerate(PAGES)
        for turn in range(VARIANTS_A_PAGE)
    ]


@pytest.mark.parametrize(("page", "variant"), _checks(), ids=lambda value: getattr(value, "name", value))
def test_a_page_written_another_way_gives_the_same_product(page: LabelledPage, variant: str) -> None:
    assert our_fields(rewritten(page.html, VARIANTS[variant]), page.url) == our_fields(page.html, page.url)


def test_every_variant_changes_the_markup_and_keeps_the_text() -> None:
    jsonld = '<script type="application/ld+json">{"@type": "Product", "name": "Caf\u00e9 / Kettle"}</script>'
    page = (
        f"<html><head><title>Caf\u00e9 &amp; Kettle</title>{jsonld}</head><body><div class='a b'>"
        "<h1>Caf\u00e9 &amp; Kettle</h1><br><p data-x='1'>12,50 \u20ac</p></div></body></html>"
    )
    plain = rewritten(page, VARIANTS["plain"])
    for name, spelling in VARIANTS.items():
        written = rewritten(page, spelling)
        assert name == "plain" or written != plain, name
        assert our_fields(written, "https://shop.example/p/1")["title"] == "Caf\u00e9 / Kettle", name
