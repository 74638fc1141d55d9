"""brands.brand_in_title: the brand a title starts with, from the known brands and car makes."""

from __future__ import annotations

import pytest

from consumers.extract.brands import KNOWN_BRANDS, brand_in_title


@pytest.mark.parametrize(
    ("title", "brand"),
    [
        ('Dell S2721HGF 27" Curved Monitor', "Dell"),
        ("western digital Blue 1TB", "Western Digital"),  # the longest known name, as the maker spells it
        ("Bang & Olufsen Beoplay H95", "Bang & Olufsen"),
        ("Philips Hue White Ambiance", "Philips Hue"),
        ("DELL UltraSharp U2720Q", "Dell"),
        ("Toyota Corolla Floor Mats", "Toyota"),  # a car make that is no everyday word counts anywhere
        ("2010 Maybach 57 S", "Maybach"),
        ("2011 land rover Range Rover Sport", "Land Rover"),
        ("Used 2015 Jaguar XF", "Jaguar"),  # after a model year, a make that is also a word
    ],
)
def test_a_title_starting_with_a_known_brand(title: str, brand: str) -> None:
    assert brand_in_title(title) == brand


@pytest.mark.parametrize(
    "title",
    [
        "Apple Cider Vinegar 500ml",  # everyday words are not in the list
        "Jaguar Plush Toy",  # a car make that is a word, without a model year
        "Dell",  # the whole title: a shop's or category's name, no product
        "Dellwood Oak Table",  # a known name must be whole words
        "Kettle by Dell",  # only the start counts
        "2011 Hondas",
        "1984 Orwell Paperback",
        "2010 Dell Latitude",  # after a model year, only car makes
        None,
    ],
)
def test_no_brand_where_the_title_starts_with_none(title: str | None) -> None:
    assert brand_in_title(title) is None


def test_each_known_brand_is_listed_once_and_trimmed() -> None:
    assert len(set(KNOWN_BRANDS)) == len(KNOWN_BRANDS)
    assert all(name and name == name.strip() for name in KNOWN_BRANDS)
