"""The real-page corpus (tests/fixtures/extraction/pages) is what ANNOTATING.md says it is: every page
with its annotation, its source and licence, and values of the right form."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from bench.corpus import DEFAULT_CORPUS, FIELDS
from consumers.extract import Availability
from consumers.extract.price import ISO_CODES

ANNOTATIONS = sorted(DEFAULT_CORPUS.glob("*/*.json"))
COMMIT = re.compile(r"[0-9a-f]{40}")


def test_the_corpus_has_the_pages_and_sites_the_issue_asks_for() -> None:
    assert len(ANNOTATIONS) >= 150
    assert len({path.parent.name for path in ANNOTATIONS}) >= 50


@pytest.mark.parametrize("path", ANNOTATIONS, ids=lambda path: f"{path.parent.name}/{path.stem}")
def test_each_page_is_annotated_with_its_source_and_values_of_the_right_form(path: Path) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    assert path.with_suffix(".html").is_file()
    assert document["site"] == path.parent.name
    source = document["source"]
    assert source["repo"] and source["path"] and source["licence"], source
    assert COMMIT.fullmatch(source["commit"]), source["commit"]
    expected = document["expected"]
    assert set(expected) <= set(FIELDS)
    if expected.get("price") is not None:
        assert Decimal(expected["price"]).is_finite() and expected.get("currency") in ISO_CODES
    assert expected.get("availability") in {None, *(value.value for value in Availability)}
    assert document["notes"].strip()
