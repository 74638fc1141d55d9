"""The same page written another way: markup spellings a browser renders identically.

Real pages spell one document many ways: `&amp;` or `&#38;`, `€` or `&#8364;`, `class='x'` or
`class=x`, `<TD>` or `<td>`, `<br>` or `<br/>`, all on one line or indented, comments between
elements. An extractor that reads the raw HTML (a cheap substring test before the tree is walked)
or walks siblings can see one spelling and miss another. Each variant re-serialises a page
through `html.parser` with one spelling changed; the extractor's output must not change.
Script and style bodies are kept byte for byte (they are not HTML), but for JSON-LD, which
three variants write as other sites do: escaped as PHP's json_encode does, keys in reverse
order, and expanded (one @graph, full type IRIs, offers in lists). Attribute names keep their
case: upper-case microdata and RDFa attributes (`ITEMPROP`) are not read (the extractor looks for
them in the raw HTML first, and none of the corpus's real pages spells them so).

One more spelling is no variant: WITHOUT_STRUCTURED_DATA leaves only what a shopper sees (no
JSON-LD, microdata, RDFa or product meta tags), to score the visible fallback on real pages.

Run: .venv/bin/python -m bench.markup_variants  (every corpus page in every variant: what changes)
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, replace
from html import escape
from html.parser import HTMLParser

from bench.corpus import DEFAULT_CORPUS, load_corpus, our_fields
from consumers.extract.jsonld import is_jsonld_type

# Elements whose surrounding whitespace a browser collapses: a newline around them shows nothing.
_BLOCKS = {
    *("html", "head", "body", "meta", "link", "script", "style", "noscript", "div", "section", "article"),
    *("header", "footer", "main", "nav", "aside", "ul", "ol", "li", "dl", "dt", "dd", "table", "thead"),
    *("tbody", "tr", "td", "th", "form", "fieldset", "p", "h1", "h2", "h3", "h4", "h5", "h6"),
}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_RAW = {"script", "style"}
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_NEEDS_NO_QUOTES = re.compile(r"[^\s\"'=<>`]+")
_STRUCTURED_ATTRIBUTES = {"itemscope", "itemprop", "itemtype", "itemref", "itemid"} | {
    *("vocab", "typeof", "property", "resource", "about", "prefix"),  # RDFa
}
_STRUCTURED_META_NAMES = ("og:", "product:", "twitter:")


@dataclass(frozen=True, slots=True)
class Spelling:
    """How one variant writes the tokens of a page."""

    quote: str = '"'  # around attribute values; '' leaves the values that need none unquoted
    upper_tags: bool = False  # <DIV class=...>
    close_void: bool = False  # <br/>, <img .../>
    numeric_references: bool = False  # non-ASCII text and attribute values as &#NNN;
    indent: bool = False  # newlines and spaces around each block element's tags
    comments: bool = False  # an empty comment before each block element's start tag
    escaped_json: bool = False  # JSON-LD as PHP's json_encode writes it: '\\u00e9', '\\/'
    reversed_order: bool = False  # each tag's attributes and each JSON-LD object's keys backwards
    expanded_json: bool = False  # JSON-LD in one @graph, types as full IRIs, each offer in a list
    structured: bool = True  # False: without JSON-LD, microdata/RDFa attributes, product meta tags


class _Writer(HTMLParser):
    def __init__(self, spelling: Spelling) -> None:
        super().__init__(convert_charrefs=True)
        self.spelling = spelling
        self.parts: list[str] = []
        self.raw_depth = 0
        self.in_jsonld = False
        self.dropping = False  # inside a JSON-LD block left out

    def _text(self, value: str) -> str:
        written = escape(value, quote=False)
        if self.spelling.numeric_references:
            written = _NON_ASCII.sub(lambda match: f"&#{ord(match.group())};", written)
        return written

    def _attribute(self, name: str, value: str | None) -> str:
        if value is None:
            return f" {name}"
        written = self._text(value)
        if not self.spelling.quote and _NEEDS_NO_QUOTES.fullmatch(written):
            return f" {name}={written}"
        quote = self.spelling.quote or '"'
        written = written.replace(quote, "&quot;" if quote == '"' else "&#39;")
        return f" {name}={quote}{written}{quote}"

    def _tag(self, tag: str) -> str:
        return tag.upper() if self.spelling.upper_tags else tag

    def _around_block(self, tag: str, start: bool) -> None:
        if tag not in _BLOCKS or self.raw_depth:
            return
        if self.spelling.indent:
            self.parts.append("\n  ")
        if self.spelling.comments and start:
            self.parts.append("<!-- -->")

    def _start(self, tag: str, attrs: list[tuple[str, str | None]], closed: bool) -> None:
        if not self.spelling.structured:
            attrs = [(name, value) for name, value in attrs if name not in _STRUCTURED_ATTRIBUTES]
        self._around_block(tag, start=True)
        # backwards, each name once: HTML keeps an attribute's first value, JSON an object's last
        ordered = (
            reversed({name: value for name, value in reversed(attrs)}.items())
            if self.spelling.reversed_order
            else attrs
        )
        attributes = "".join(self._attribute(name, value) for name, value in ordered)
        self.parts.append(f"<{self._tag(tag)}{attributes}{' /' if closed else ''}>")

    def _left_out(self, tag: str, attrs: list[tuple[str, str | None]]) -> bool:
        """Whether the tag is structured data the spelling leaves out (a JSON-LD block: with its body)."""
        if self.spelling.structured:
            return False
        if _is_jsonld(tag, attrs):
            self.dropping = True
            return True
        named = dict(attrs)
        structured_name = (named.get("name") or "").startswith(_STRUCTURED_META_NAMES)
        return tag in ("meta", "link") and ("itemprop" in named or "property" in named or structured_name)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._left_out(tag, attrs):
            return
        self._start(tag, attrs, closed=self.spelling.close_void and tag in _VOID)
        if tag in _RAW:
            self.raw_depth += 1
            self.in_jsonld = _is_jsonld(tag, attrs)
        elif tag in _BLOCKS and tag not in _VOID and self.spelling.indent and not self.raw_depth:
            self.parts.append("\n    ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self._left_out(tag, attrs):
            self._start(tag, attrs, closed=True)  # as written: '<div/>' opens a div in HTML
        self.dropping = False

    def handle_endtag(self, tag: str) -> None:
        if self.dropping:
            self.dropping = tag != "script"
            return
        if tag in _RAW:
            self.raw_depth = max(0, self.raw_depth - 1)
        if tag in _VOID:
            return
        self._around_block(tag, start=False)
        self.parts.append(f"</{self._tag(tag)}>")

    def handle_data(self, data: str) -> None:
        if self.dropping:
            return
        if not self.raw_depth:
            self.parts.append(self._text(data))
        elif self.in_jsonld:
            self.parts.append(_rewritten_json(data, self.spelling))
        else:
            self.parts.append(data)

    def handle_comment(self, data: str) -> None:
        self.parts.append(f"<!--{data}-->")

    def handle_decl(self, decl: str) -> None:
        self.parts.append(f"<!{decl}>")

    def handle_pi(self, data: str) -> None:
        self.parts.append(f"<?{data}>")

    def unknown_decl(self, data: str) -> None:
        self.parts.append(f"<![{data}]>")


def _is_jsonld(tag: str, attrs: list[tuple[str, str | None]]) -> bool:
    """A JSON-LD block, as the extractor's reader tells one."""
    return tag == "script" and is_jsonld_type(dict(attrs).get("type"))


def _rewritten_json(block: str, spelling: Spelling) -> str:
    """A JSON-LD block in `spelling`; as it was when strict JSON refuses it (the lenient reader's
    cases stay as they are)."""
    if not (spelling.escaped_json or spelling.reversed_order or spelling.expanded_json):
        return block
    try:
        document = json.loads(block, object_pairs_hook=_backwards if spelling.reversed_order else None)
    except ValueError:
        return block
    if spelling.expanded_json:
        document = _in_one_graph(_expanded(document))
    written = json.dumps(document, ensure_ascii=spelling.escaped_json)
    return written.replace("/", "\\/") if spelling.escaped_json else written


def _backwards(pairs: list[tuple[str, object]]) -> dict[str, object]:
    return dict(reversed(dict(pairs).items()))


def _expanded(value: object) -> object:
    """Every schema.org @type as its full IRI ('Product' -> 'http://schema.org/Product'), every
    lone offer in a list: what the same data means in other words."""
    if isinstance(value, list):
        return [_expanded(item) for item in value]
    if not isinstance(value, dict):
        return value
    expanded = {key: _expanded(item) for key, item in value.items()}
    if isinstance(types := value.get("@type"), (str, list)):
        names = types if isinstance(types, list) else [types]
        expanded["@type"] = [f"http://schema.org/{name}" if ":" not in str(name) else name for name in names]
    if isinstance(value.get("offers"), dict):
        expanded["offers"] = [expanded["offers"]]
    return expanded


def _in_one_graph(document: object) -> object:
    """The block's top-level nodes in one @graph under the first node's @context."""
    nodes = document if isinstance(document, list) else [document]
    if not all(isinstance(node, dict) for node in nodes) or any("@graph" in node for node in nodes):
        return document
    context = next((node["@context"] for node in nodes if "@context" in node), "https://schema.org")
    return {
        "@context": context,
        "@graph": [{k: v for k, v in node.items() if k != "@context"} for node in nodes],
    }


def rewritten(page_html: str, spelling: Spelling) -> str:
    """`page_html` re-serialised token by token in `spelling`."""
    writer = _Writer(spelling)
    writer.feed(page_html)
    writer.close()
    return "".join(writer.parts)


PLAIN = Spelling()
VARIANTS: dict[str, Spelling] = {
    "plain": PLAIN,
    "single quotes": replace(PLAIN, quote="'"),
    "unquoted values": replace(PLAIN, quote=""),
    "upper-case tags": replace(PLAIN, upper_tags=True),
    "closed void tags": replace(PLAIN, close_void=True),
    "character references": replace(PLAIN, numeric_references=True),
    "indented": replace(PLAIN, indent=True),
    "comments": replace(PLAIN, comments=True),
    "escaped JSON-LD": replace(PLAIN, escaped_json=True),
    "reversed order": replace(PLAIN, reversed_order=True),
    "expanded JSON-LD": replace(PLAIN, expanded_json=True),
}
WITHOUT_STRUCTURED_DATA = replace(PLAIN, structured=False)


def strip_structured(page_html: str) -> str:
    """The page without JSON-LD, microdata, RDFa and product meta tags: what a shopper sees."""
    return rewritten(page_html, WITHOUT_STRUCTURED_DATA)


def main() -> None:
    """Every corpus page in every variant: the fields that change, and a count per variant."""
    pages = load_corpus(DEFAULT_CORPUS)
    changed = dict.fromkeys(VARIANTS, 0)
    for done, page in enumerate(pages, 1):
        fields = our_fields(page.html, page.url)
        for name, spelling in VARIANTS.items():
            written = our_fields(rewritten(page.html, spelling), page.url)
            for field in (field for field in fields if written[field] != fields[field]):
                changed[name] += 1
                print(f"{name}: {page.name} {field}: {fields[field]!r} -> {written[field]!r}")
        if done % 50 == 0 or done == len(pages):
            print(f"{done}/{len(pages)} pages", file=sys.stderr)
    print(", ".join(f"{name}: {count} fields changed" for name, count in changed.items()))


if __name__ == "__main__":
    main()
