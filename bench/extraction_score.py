"""Extraction quality: per-field precision, recall and F1 of extract_product on pages with known truth.

Run: .venv/bin/python -m bench.extraction_score [--corpus DIR] [--field title] [--show-misses] [--json]
     [--demo-pages 200] [--price-strings TSV] [--real-price-strings TSV] [--split dev|holdout|all]
     [--baseline] [--stripped]

--split guards against tuning to the corpus: a site is held out when the blake2b hash of its name
is 3 modulo 4 (`in_holdout`), so whole sites are either dev or holdout. Tune while reading `--split dev`
misses only; score `--split holdout` to see whether a rule holds on sites it was not made on.

Three page sets, one table each:
  corpus     every <slug>.json under --corpus (default tests/fixtures/extraction/pages) with its
             <slug>.html: real product pages and the values a person read off them;
  demo shop  static product pages of the demo shop's microdata and JSON-LD shops, truth from the
             catalogue (the JS shop needs a browser: not here);
  demo shop, structured data stripped  the same pages without JSON-LD, microdata and meta tags:
             what the visible-markup fallback (consumers/extract/visible/) finds on its own
             (with --stripped, the corpus too: bench.markup_variants.WITHOUT_STRUCTURED_DATA).
With --baseline, one more table: the same corpus pages through the baseline the issue names, a few
lines of extruct + price-parser with no tuning (bench/extruct_baseline.py).
Then the price strings: every row of --price-strings (text, amount, currency, hint, note: the
development set), of --real-price-strings (strings copied from real shops' scraped output, split
by source repository like the corpus's sites) and every corpus page's price_text, scored as the
share parsed to the right amount and currency, beside price-parser 0.5.1 (the baseline the issue
names) on the same strings. Last, the amounts every territorial locale of CLDR writes in its
currency (bench/cldr_prices.py): conventions beyond our samples.

Per field and page: TP = predicted equals expected; FP = predicted non-null and not equal; FN =
expected non-null and predicted not equal (a wrong value is both an FP and an FN). Titles and
brands compare case-insensitively after unescaping entities and collapsing whitespace; SKUs
stripped and case-insensitively; prices as Decimal amounts whatever the currency; currency and
availability exactly. A page whose JSON lacks a field's key is not scored on that field; one whose
url is null (its source did not record it) is extracted as https://<site>/<slug>.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path

from bench.cldr_prices import cldr_price_cases
from bench.corpus import (
    DEFAULT_CORPUS,
    FIELDS,
    SPLITS,
    LabelledPage,
    in_holdout,
    load_corpus,
    our_fields,
    predicted,
    split_pages,
)
from bench.demo_pages import demo_pages
from bench.markup_variants import strip_structured
from bench.price_strings import (
    DEFAULT_PRICE_STRINGS,
    DEFAULT_REAL_PRICE_STRINGS,
    PriceCase,
    price_case_result,
    read_price_strings,
)
from consumers.extract import ExtractionError
from consumers.extract.page import Page
from consumers.extract.visible import page_currency

_SPACES = re.compile(r"\s+")
Extractor = Callable[[str, str], dict[str, object]]  # (html, url) -> the scored fields


@dataclass(slots=True)
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    labelled: int = 0  # pages with an expected non-null value

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p and r else (0.0 if p is not None and r is not None else None)


@dataclass(frozen=True, slots=True)
class Miss:
    page: str
    field: str
    expected: object
    got: object


@dataclass(slots=True)
class Score:
    """Per-field counts over a page set, the misses, and pages whose extraction raised."""

    pages: int = 0
    counts: dict[str, Counts] = field(default_factory=lambda: {name: Counts() for name in FIELDS})
    misses: list[Miss] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def total(self, fields: Iterable[str]) -> Counts:
        parts = [self.counts[name] for name in fields]
        return Counts(*(sum(getattr(part, key) for part in parts) for key in ("tp", "fp", "fn", "labelled")))


# -- comparing -------------------------------------------------------------------------------------
def comparable(name: str, value: object) -> object:
    """`value` as compared for field `name` (see the module docstring); None stays None."""
    if value is None or value == "":
        return None
    if name in ("title", "brand"):
        return _SPACES.sub(" ", html.unescape(str(value))).strip().casefold() or None
    if name == "sku":
        return str(value).strip().casefold() or None
    if name == "price":
        try:
            return Decimal(str(value).strip())
        except InvalidOperation:
            return str(value)  # a malformed expectation matches nothing
    return str(value).strip()


def score_page(page: LabelledPage, got: dict[str, object], score: Score, fields: Iterable[str]) -> None:
    score.pages += 1
    for name in fields:
        if name not in page.expected:
            continue
        expected, value = comparable(name, page.expected[name]), comparable(name, got.get(name))
        counts = score.counts[name]
        counts.labelled += expected is not None
        if value is not None and value == expected:
            counts.tp += 1
            continue
        counts.fp += value is not None
        counts.fn += expected is not None
        if value is not None or expected is not None:
            score.misses.append(Miss(page.name, name, page.expected[name], got.get(name)))


def score_pages(
    pages: list[LabelledPage], fields: Iterable[str], label: str, extract: Extractor = our_fields
) -> Score:
    """Extract every page and count; progress on stderr every 100 pages."""
    fields = list(fields)
    score = Score()
    for done, page in enumerate(pages, start=1):
        try:
            got = extract(page.html, page.url)
        except Exception as error:  # a crash is scored as no product and listed, not fatal
            score.errors.append(f"{page.name}: {type(error).__name__}: {error}")
            got = predicted(None)
        score_page(page, got, score, fields)
        if done % 100 == 0:
            print(f"{label}: {done}/{len(pages)} pages", file=sys.stderr)
    return score


# -- price strings ---------------------------------------------------------------------------------
def corpus_price_cases(pages: list[LabelledPage]) -> list[PriceCase]:
    """Each corpus page's price_text with its expected price, hinted as extraction hints it: the
    page's <html lang> and domain (Page.price_hints) and, as the default currency, the one the
    page declares for prices shown without one (product:price:currency, itemprop=priceCurrency:
    visible/prices.py's price hints)."""
    cases = []
    for page in pages:
        if not page.price_text:
            continue
        try:
            parsed = Page(page.html, page.url)
            hints = dict(parsed.price_hints)
            default = page_currency(parsed)
        except ExtractionError:
            hints, default = {}, None
        expected_price, expected_currency = page.expected.get("price"), page.expected.get("currency")
        cases.append(
            PriceCase(
                page.name,
                page.price_text,
                str(expected_price) if expected_price is not None else None,
                str(expected_currency) if expected_currency is not None else None,
                hints,
                default,
            )
        )
    return cases


# -- report ----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PriceResult:
    case: PriceCase
    right: bool
    got: str
    baseline_right: bool  # price-parser's


@dataclass(frozen=True, slots=True)
class Outcome:
    """Everything one run scored: a Score per page set, the price strings, the fields scored."""

    scores: dict[str, Score]
    prices: list[PriceResult]
    fields: list[str]


def run(args: argparse.Namespace) -> Outcome:
    """Score every page set and the price strings."""
    fields = [args.field] if args.field else list(FIELDS)
    split = getattr(args, "split", "all")
    corpus = split_pages(load_corpus(args.corpus), split)
    label = f"corpus ({args.corpus})" if split == "all" else f"corpus ({args.corpus}, split {split})"
    sets = {label: corpus}
    if args.demo_pages:
        sets["demo shop"] = demo_pages(args.demo_pages)
        sets["demo shop, structured data stripped"] = demo_pages(args.demo_pages, structured=False)
    if getattr(args, "stripped", False):
        stripped = [replace(page, html=strip_structured(page.html)) for page in corpus]
        sets[f"{label}, structured data stripped"] = stripped
    scores = {title: score_pages(pages, fields, title) for title, pages in sets.items()}
    if getattr(args, "baseline", False):
        from bench.extruct_baseline import baseline_fields  # rdflib under extruct loads for seconds

        title = f"{label}, extruct + price-parser baseline (no tuning)"
        scores[title] = score_pages(corpus, fields, title, extract=baseline_fields)
    real = split_real_strings(read_price_strings(args.real_price_strings, "real"), split)

    cases = read_price_strings(args.price_strings) + real + corpus_price_cases(corpus) + cldr_price_cases()
    return Outcome(scores, [PriceResult(case, *price_case_result(case)) for case in cases], fields)


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def table(title: str, score: Score, fields: list[str]) -> str:
    raised = f", {len(score.errors)} raised" if score.errors else ""
    lines = [
        f"{title}: {score.pages} pages{raised}",
        f"{'field':<14}{'labelled':>9}{'TP':>6}{'FP':>6}{'FN':>6}{'precision':>11}{'recall':>8}{'F1':>7}",
    ]
    rows = [(name, score.counts[name]) for name in fields]
    if len(fields) > 1:
        rows.append(("all fields", score.total(fields)))
    for name, counts in rows:
        lines.append(
            f"{name:<14}{counts.labelled:>9}{counts.tp:>6}{counts.fp:>6}{counts.fn:>6}"
            f"{_ratio(counts.precision):>11}{_ratio(counts.recall):>8}{_ratio(counts.f1):>7}"
        )
    return "\n".join(lines)


def misses_text(score: Score, fields: list[str]) -> Iterator[str]:
    yield from (f"  raised: {error}" for error in score.errors)
    for miss in score.misses:
        if miss.field in fields:
            yield f"  {miss.page}  {miss.field}: expected {miss.expected!r}, got {miss.got!r}"


def price_groups(prices: list[PriceResult]) -> dict[str, list[PriceResult]]:
    labels = {
        "tsv": "price strings (tsv)",
        "real": "price strings (real, scraped)",
        "cldr": "price strings (CLDR formats)",
    }
    groups: dict[str, list[PriceResult]] = {label: [] for label in labels.values()}
    groups["price strings (corpus price_text)"] = []
    for item in prices:
        label = labels.get(item.case.source.split(":", 1)[0], "price strings (corpus price_text)")
        groups[label].append(item)
    return groups


def split_real_strings(cases: list[PriceCase], split: str) -> list[PriceCase]:
    """The real price strings of a split: whole source repositories (the note's 'owner/repo@...')
    are dev or holdout, by the same hash as the corpus's sites."""
    if split == "all":
        return cases
    return [case for case in cases if in_holdout(case.note.split("@", 1)[0].strip()) == (split == "holdout")]


def print_report(outcome: Outcome, show_misses: bool) -> None:
    for title, score in outcome.scores.items():
        print(table(title, score, outcome.fields))
        if show_misses:
            print("\n".join(misses_text(score, outcome.fields)))
        print()
    for label, chosen in price_groups(outcome.prices).items():
        right = sum(item.right for item in chosen)
        baseline = sum(item.baseline_right for item in chosen)
        share, baseline_share = (
            (f"{right / len(chosen):.1%}", f"{baseline / len(chosen):.1%}") if chosen else ("-", "-")
        )
        print(
            f"{label}: {right}/{len(chosen)} right ({share}); "
            f"price-parser 0.5.1: {baseline} ({baseline_share})"
        )
        for item in chosen if show_misses else []:
            if not item.right:
                case = item.case
                print(
                    f"  {case.source}  {case.text!r}: expected {case.amount} {case.currency}, got {item.got}"
                )


def as_json(outcome: Outcome) -> dict[str, object]:
    def counts(score: Score, name: str) -> dict[str, object]:
        tally = score.counts[name]
        return asdict(tally) | {"precision": tally.precision, "recall": tally.recall, "f1": tally.f1}

    return {
        "sets": {
            title: {
                "pages": score.pages,
                "errors": score.errors,
                "fields": {name: counts(score, name) for name in outcome.fields},
                "misses": [
                    {
                        "page": miss.page,
                        "field": miss.field,
                        "expected": str(miss.expected),
                        "got": str(miss.got),
                    }
                    for miss in score.misses
                    if miss.field in outcome.fields
                ],
            }
            for title, score in outcome.scores.items()
        },
        "price_strings": [
            {
                "source": item.case.source,
                "text": item.case.text,
                "expected": f"{item.case.amount} {item.case.currency}",
                "got": item.got,
                "right": item.right,
                "price_parser_right": item.baseline_right,
            }
            for item in outcome.prices
        ],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="directory of <slug>.json/.html")
    parser.add_argument("--field", choices=FIELDS, help="score this field only")
    parser.add_argument(
        "--split",
        choices=SPLITS,
        default="all",
        help="corpus pages to score: dev (tune on these), holdout (sites whose name hashes odd: "
        "only to check the general effect), all",
    )
    parser.add_argument(
        "--show-misses", action="store_true", help="list each miss: page, field, expected, got"
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead of tables")
    parser.add_argument(
        "--baseline",
        action="store_true",
        help="also score the corpus with the issue's baseline, extruct + price-parser without tuning "
        "(bench/extruct_baseline.py; ~30 s more)",
    )
    parser.add_argument(
        "--stripped",
        action="store_true",
        help="also score the corpus without its structured data: the visible fallback alone on real pages",
    )
    parser.add_argument("--demo-pages", type=int, default=200, help="demo shop pages to score; 0 skips them")
    parser.add_argument(
        "--price-strings", type=Path, default=DEFAULT_PRICE_STRINGS, help="TSV of price strings"
    )
    parser.add_argument(
        "--real-price-strings",
        type=Path,
        default=DEFAULT_REAL_PRICE_STRINGS,
        help="TSV of real price strings with their source repository in the note (split like the corpus)",
    )
    args = parser.parse_args(argv)
    outcome = run(args)
    if args.json:
        print(json.dumps(as_json(outcome), indent=2, ensure_ascii=False))
    else:
        print_report(outcome, args.show_misses)


if __name__ == "__main__":
    main()
