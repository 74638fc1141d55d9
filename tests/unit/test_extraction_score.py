"""The scoring arithmetic of bench/extraction_score.py, on a tiny corpus written here (not the real one)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from bench.cldr_prices import cldr_price_cases
from bench.corpus import LabelledPage, in_holdout, load_corpus, split_pages
from bench.extraction_score import (
    Counts,
    PriceResult,
    Score,
    comparable,
    main,
    price_groups,
    score_page,
    score_pages,
    split_real_strings,
)
from bench.extruct_baseline import baseline_fields
from bench.markup_variants import strip_structured
from bench.price_strings import price_case_result, read_price_strings

FIELDS = ["title", "price", "currency", "availability", "sku", "brand"]
KETTLE = """<html><head><meta property="og:type" content="product">
<meta property="og:title" content="Steel   Kettle"><meta property="product:brand" content="Brew">
<meta property="product:price:amount" content="49.99"><meta property="product:price:currency" content="USD">
<meta property="product:availability" content="in stock"></head><body></body></html>"""


def write_page(
    root: Path, site: str, slug: str, html: str, expected: dict[str, object], **extra: object
) -> None:
    folder = root / site
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{slug}.html").write_text(html, encoding="utf-8")
    document = {"url": f"https://{site}/p/{slug}", "site": site, "expected": expected, **extra}
    (folder / f"{slug}.json").write_text(json.dumps(document), encoding="utf-8")


def no_price_strings(folder: Path) -> list[str]:
    """Command options pointing both price-string sets at a missing file: none scored."""
    return ["--price-strings", str(folder / "none"), "--real-price-strings", str(folder / "none")]


def test_a_wrong_value_is_a_false_positive_and_a_false_negative() -> None:
    score = Score()
    page = LabelledPage("shop/a", "https://shop.example/a", "", {"title": "Kettle", "price": "10.00"})
    score_page(page, {"title": "Teapot", "price": None}, score, ["title", "price"])
    assert (score.counts["title"].tp, score.counts["title"].fp, score.counts["title"].fn) == (0, 1, 1)
    assert (score.counts["price"].tp, score.counts["price"].fp, score.counts["price"].fn) == (0, 0, 1)
    assert [(miss.field, miss.expected, miss.got) for miss in score.misses] == [
        ("title", "Kettle", "Teapot"),
        ("price", "10.00", None),
    ]


def test_a_value_where_none_is_expected_is_only_a_false_positive() -> None:
    score = Score()
    page = LabelledPage("shop/a", "https://shop.example/a", "", {"brand": None, "sku": None})
    score_page(page, {"brand": "Brew", "sku": None}, score, ["brand", "sku"])
    assert (score.counts["brand"].fp, score.counts["brand"].fn, score.counts["brand"].labelled) == (1, 0, 0)
    assert score.counts["sku"] == Counts()  # nothing expected, nothing found: not counted at all


def test_a_field_missing_from_the_json_is_not_scored() -> None:
    score = Score()
    score_page(
        LabelledPage("shop/a", "https://shop.example/a", "", {}), {"title": "Kettle"}, score, ["title"]
    )
    assert score.counts["title"] == Counts() and score.pages == 1


@pytest.mark.parametrize(
    ("field", "expected", "got"),
    [
        ("title", "Brew &amp; Co  Kettle", "brew & co kettle"),
        ("brand", " BREW ", "brew"),
        ("sku", " k-9 ", "K-9"),
        ("price", "49.9", Decimal("49.90")),
        ("currency", "EUR", "EUR"),
    ],
)
def test_values_compare_as_the_docstring_says(field: str, expected: object, got: object) -> None:
    assert comparable(field, expected) == comparable(field, got)


def test_precision_recall_and_f1() -> None:
    counts = Counts(tp=3, fp=1, fn=2)
    assert counts.precision == 0.75 and counts.recall == 0.6
    assert counts.f1 == pytest.approx(2 * 0.75 * 0.6 / 1.35)
    assert Counts().precision is None and Counts().f1 is None
    assert Counts(fp=2, fn=1).f1 == 0.0


def test_a_tiny_corpus_scored_end_to_end(tmp_path: Path) -> None:
    write_page(
        tmp_path,
        "shop.example",
        "kettle",
        KETTLE,
        {"title": "steel kettle", "price": "49.990", "currency": "USD", "availability": "IN_STOCK"}
        | {"sku": "K9", "brand": None},
    )
    write_page(
        tmp_path, "shop.example", "about", "<html><body><p>About us</p></body></html>", {"title": "About"}
    )
    (tmp_path / "shop.example" / "orphan.json").write_text("{}")  # no .html: skipped
    pages = load_corpus(tmp_path)
    assert [page.name for page in pages] == ["shop.example/about", "shop.example/kettle"]
    score = score_pages(pages, FIELDS, "test")
    tallies = {name: (c.tp, c.fp, c.fn) for name, c in score.counts.items()}
    assert tallies == {
        "title": (1, 0, 1),  # the kettle right; the about page has no product
        "price": (1, 0, 0),
        "currency": (1, 0, 0),
        "availability": (1, 0, 0),
        "sku": (0, 0, 1),
        "brand": (0, 1, 0),  # found where none is expected
    }
    total = score.total(FIELDS)
    assert (total.tp, total.fp, total.fn) == (4, 1, 2)


def test_price_strings_rows_header_comments_and_a_missing_file(tmp_path: Path) -> None:
    table = tmp_path / "prices.tsv"
    table.write_text(
        "text\tamount\tcurrency\thint\tnote\n# a comment\n1.234,56 €\t1234.56\tEUR\t\tgerman\n"
        "C$ 5\t5\tCAD\tlocale=en-CA;tld=ca\tcanadian\n12 kr\t12\tNOK\ttld=no\tnorwegian\n"
        "no price\t\t\t\tnone\n",
        encoding="utf-8",
    )
    cases = read_price_strings(table)
    assert [(case.text, case.amount, case.currency, case.hints) for case in cases] == [
        ("1.234,56 €", "1234.56", "EUR", {}),
        ("C$ 5", "5", "CAD", {"locale": "en-CA", "tld": "ca"}),
        ("12 kr", "12", "NOK", {"tld": "no"}),
        ("no price", None, None, {}),
    ]
    assert [price_case_result(case)[0] for case in cases] == [True, True, True, True]
    assert read_price_strings(tmp_path / "missing.tsv") == []


def test_price_strings_decode_escapes_and_pass_the_default_hint(tmp_path: Path) -> None:
    table = tmp_path / "prices.tsv"
    table.write_text(
        "text\tamount\tcurrency\thint\tnote\n$\\u00a099.00\t99.00\tUSD\t\tno-break space\n"
        "$25\t25\tCAD\tdefault=CAD\tthe site's currency\n$25\t25\tUSD\tdefault=USD;tld=ca\tdefault first\n"
        "1.250\t1.250\tKWD\tdefault=KWD\tthree decimals\n",
        encoding="utf-8",
    )
    cases = read_price_strings(table)
    assert cases[0].text == "$\u00a099.00" and cases[0].hints == {} and cases[0].note == "no-break space"
    assert (cases[1].default, cases[1].hints) == ("CAD", {})
    assert (cases[2].default, cases[2].hints) == ("USD", {"tld": "ca"})
    assert [price_case_result(case)[0] for case in cases] == [True, True, True, True]


def test_price_strings_amounts_compare_as_numbers_every_digit_counting(tmp_path: Path) -> None:
    table = tmp_path / "prices.tsv"
    table.write_text(
        "84,0973 €\t84.0973\tEUR\t\t\n84,0973 €\t84.10\tEUR\t\t\n€ 12,5\t12.50\tEUR\t\t\n", encoding="utf-8"
    )
    exact, rounded, short = read_price_strings(table)
    assert exact.expected() == (Decimal("84.0973"), "EUR") and price_case_result(exact)[0]
    assert not price_case_result(rounded)[0]  # a scorer reading every digit counts 84.10 wrong
    assert price_case_result(short)[0]


def test_an_unknown_price_hint_is_an_error(tmp_path: Path) -> None:
    table = tmp_path / "prices.tsv"
    table.write_text("$5\t5\tUSD\tcurency=USD\ttypo\n", encoding="utf-8")
    with pytest.raises(ValueError, match="curency"):
        read_price_strings(table)


def test_the_command_prints_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_page(
        tmp_path,
        "shop.example",
        "kettle",
        KETTLE,
        {"title": "Steel Kettle", "price": "1.00"},
        price_text="$49.99",
    )
    main(["--corpus", str(tmp_path), "--demo-pages", "0", *no_price_strings(tmp_path), "--json"])
    document = json.loads(capsys.readouterr().out)
    (scores,) = document["sets"].values()
    assert scores["fields"]["title"]["tp"] == 1 and scores["fields"]["price"]["fp"] == 1
    assert scores["misses"] == [
        {"page": "shop.example/kettle", "field": "price", "expected": "1.00", "got": "49.99"}
    ]
    assert document["price_strings"][0]["right"] is False  # $49.99 is not the expected 1.00


def test_stripped_scores_the_corpus_again_without_its_structured_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_page(tmp_path, "shop.example", "kettle", KETTLE, {"title": "Steel Kettle", "price": "49.99"})
    main(
        ["--corpus", str(tmp_path), "--demo-pages", "0", *no_price_strings(tmp_path), "--json", "--stripped"]
    )
    whole, stripped = json.loads(capsys.readouterr().out)["sets"].values()
    assert whole["fields"]["price"]["tp"] == 1  # from the product meta tags
    assert stripped["fields"]["price"]["fn"] == 1 and stripped["fields"]["title"]["fn"] == 1  # a bare page


def test_the_split_keeps_whole_sites_together_and_is_stable(tmp_path: Path) -> None:
    sites = [f"shop{number}.example" for number in range(40)]
    for site in sites:
        for slug in ("a", "b"):
            write_page(tmp_path, site, slug, KETTLE, {"title": "Steel Kettle"})
    pages = load_corpus(tmp_path)
    dev, holdout = split_pages(pages, "dev"), split_pages(pages, "holdout")
    assert len(dev) + len(holdout) == len(pages) and dev and holdout
    assert {page.site for page in dev}.isdisjoint(page.site for page in holdout)
    assert split_pages(pages, "all") == pages
    assert in_holdout("www.Shop1.example") == in_holdout("shop1.example")
    assert [in_holdout(site) for site in sites] == [in_holdout(site) for site in sites]


def test_price_parser_is_scored_beside_ours_on_the_same_cases(tmp_path: Path) -> None:
    table = tmp_path / "prices.tsv"
    table.write_text("22,90 €\t22.90\tEUR\t\t\n1 299 Kč\t1299\tCZK\t\t\n", encoding="utf-8")
    euro, koruna = read_price_strings(table)
    assert euro.parse_with_price_parser() == (Decimal("22.90"), "EUR")
    assert price_case_result(euro) == (True, "22.90 EUR", True)
    assert price_case_result(koruna)[0] is True  # ours reads 'Kč'; price-parser's sign may differ


def test_the_baseline_reads_the_first_product_and_its_first_offer() -> None:
    block = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "BreadcrumbList", "name": "Home"},
            {
                "@type": ["Product", "Thing"],
                "name": "Lamp",
                "sku": "L-1",
                "brand": {"@type": "Brand", "name": "Glow"},
                "offers": [
                    {
                        "@type": "Offer",
                        "price": "1.299,00",
                        "priceCurrency": "EUR",
                        "availability": "OutOfStock",
                    },
                    {"@type": "Offer", "price": "9.00", "priceCurrency": "EUR", "availability": "InStock"},
                ],
            },
        ],
    }
    page = f'<html><body><script type="application/ld+json">{json.dumps(block)}</script></body></html>'
    assert baseline_fields(page, "https://shop.example/lamp") == {
        "title": "Lamp",
        "price": Decimal("1299.00"),  # price-parser reads the first offer's string as it stands
        "currency": "EUR",
        "availability": "OUT_OF_STOCK",  # no offer rule: the first offer, sold out or not
        "sku": "L-1",
        "brand": "Glow",
    }


def test_the_baseline_falls_back_to_opengraph_and_is_scored_beside_ours(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert baseline_fields(KETTLE, "https://shop.example/kettle") | {"brand": None} == {
        "title": "Steel   Kettle",
        "price": Decimal("49.99"),
        "currency": "USD",
        "availability": None,
        "sku": None,
        "brand": None,
    }
    write_page(tmp_path, "shop.example", "kettle", KETTLE, {"title": "Steel Kettle", "brand": "Brew"})
    args = ["--corpus", str(tmp_path), "--demo-pages", "0", *no_price_strings(tmp_path)]
    main([*args, "--json", "--baseline"])
    ours, baseline = json.loads(capsys.readouterr().out)["sets"].values()
    assert ours["fields"]["brand"]["tp"] == 1 and baseline["fields"]["brand"]["tp"] == 0
    assert baseline["fields"]["title"]["tp"] == 1


def test_real_price_strings_split_by_source_repository_and_score_apart(tmp_path: Path) -> None:
    real = tmp_path / "real.tsv"
    rows = [
        f"{amount} zł\t{amount}\tPLN\t\towner{n}/scraper@HEAD:out.csv (MIT)"
        for n, amount in enumerate(range(1, 41))
    ]
    real.write_text("text\tamount\tcurrency\thint\tnote\n" + "\n".join(rows) + "\n", encoding="utf-8")
    cases = read_price_strings(real, "real")
    dev, holdout = split_real_strings(cases, "dev"), split_real_strings(cases, "holdout")
    assert dev and holdout and len(dev) + len(holdout) == 40
    assert all(in_holdout(case.note.split("@")[0]) for case in holdout)
    assert split_real_strings(cases, "all") == cases
    results = [PriceResult(case, *price_case_result(case)) for case in cases]
    groups = price_groups(results)
    assert [len(groups[label]) for label in groups] == [0, 40, 0, 0]  # tsv, real, CLDR, corpus
    assert all(item.right for item in groups["price strings (real, scraped)"])


def test_stripping_structured_data_leaves_what_a_shopper_sees() -> None:
    page = (
        "<html><head><title>Kettle</title><meta property='og:title' content='Kettle'>"
        "<meta name='twitter:title' content='Kettle'><meta name='viewport' content='width=device-width'>"
        '<script type="application/ld+json">{"@type": "Product", "name": "Kettle"}</script>'
        '<script type="application/LD+JSON; charset=utf-8">{"@type": "Offer"}</script>'  # read as JSON-LD
        "<script>var cart = 1;</script></head><body><div itemscope itemtype='https://schema.org/Product'>"
        "<h1 itemprop='name'>Kettle</h1><link itemprop='availability' href='https://schema.org/InStock'>"
        "<p vocab='https://schema.org/' typeof='Offer' class='price'>"
        "<span property='price'>12,50</span> €</p>"
        "</div></body></html>"
    )
    stripped = strip_structured(page)
    for gone in (
        "og:title",
        "twitter:title",
        "ld+json",
        "LD+JSON",
        "itemscope",
        "itemprop",
        "vocab",
        "typeof",
        "property",
    ):
        assert gone not in stripped, gone
    for kept in (
        "<title>Kettle</title>",
        "viewport",
        "var cart = 1;",
        "<h1>Kettle</h1>",
        'class="price"',
        "12,50</span> €",
    ):
        assert kept in stripped, kept


def test_cldr_cases_are_each_territory_s_own_format_at_cldr_s_precision() -> None:
    cases = cldr_price_cases((Decimal("1234.56"),))
    by_locale = {case.source: case for case in cases}  # a format many locales share: the first's
    swiss = by_locale["cldr:de_CH"]
    assert (swiss.text, swiss.amount, swiss.currency, swiss.hints) == (
        "CHF\u00a01'234.56",
        "1234.56",
        "CHF",
        {"locale": "de-CH"},
    )
    japanese = by_locale["cldr:ja_JP"]
    assert (japanese.text, japanese.amount, japanese.currency) == ("￥1,235", "1235", "JPY")  # no sen
    assert len({(case.text, case.currency) for case in cases}) == len(cases)  # each format once
    assert len({case.currency for case in cases}) > 140
    assert price_case_result(swiss)[0] and price_case_result(japanese)[0]
