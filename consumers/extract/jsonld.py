"""JSON-LD reader: the <script type="application/ld+json"> blocks of a page, as schema.org nodes.

A block is read as JSON first (raw control characters such as newlines inside strings allowed).
A block that is not JSON is repaired the ways sites break it, then read again:
- a wrapper around the whole block: <!-- ... -->, /*<![CDATA[*/ ... /*]]>*/, //<![CDATA[ ...;
- comments outside strings: /* ... */, // ..., <!-- ... -->; stray <![CDATA[ and ]]>;
- trailing commas before } or ]; escapes JSON does not have (\\' and the like);
- double quotes left unescaped inside a string ('"name": "Monitor 27" IPS"'): a quote ends a
  string only where ',', ':', '}', ']' or the end follows it;
- a value a template left empty ('"price": ,') is null; doubled commas are one;
- brackets a cut-off block leaves open are closed at its end;
- several JSON values one after another (with or without ',' or ';' between them).
A value object ({"@value": "Lamp", "@language": "en"}) is read as its value.
What still does not parse ends the block: the values before it are kept, a bad block never hides
the good ones. HTML entities left in string values (&amp; &#39; &quot;...) are unescaped, also
those escaped twice ('&amp;amp;').

Bounded for hostile pages: repair is one linear scan (_repair), the JSON decoder's nesting
limit ends deep blocks (RecursionError), and walk() visits at most schemaorg._MAX_NODES dicts.
"""

from __future__ import annotations

import html
import json
import re
from decimal import Decimal

from selectolax.lexbor import LexborHTMLParser

from consumers.extract.schemaorg import Node, walk

_DECODER = json.JSONDecoder(parse_float=Decimal, strict=False)
# A JSON-LD value object ({"@value": "Lamp", "@language": "en"}) stands for its value.
_VALUE_DECODER = json.JSONDecoder(
    parse_float=Decimal, strict=False, object_hook=lambda node: node.get("@value", node)
)
_MAX_VALUES = 100  # JSON values read from one block
_WRAPPER_START = ("<!--", "/*<![CDATA[*/", "//<![CDATA[", "<![CDATA[")
_WRAPPER_END = ("-->", "/*]]>*/", "//]]>", "]]>")
_SEPARATORS = re.compile(r"[\s,;]*")
# One token of a broken block. A string is kept (its bad escapes mended), everything else
# matched is dropped. Every alternative that may scan far ends at its first possible end, and
# an unterminated string or comment ends the scan (no later one can end either), so the scan
# is linear in the block.
_STRING = r'(?P<string>"(?:[^"\\]++|\\.|"(?!\s*+(?:[,:}\]]|$)))*+")|(?P<open_string>")'
_COMMENTS = r"|(?P<open_block>/\*)(?:.*?\*/)?|//[^\n]*|<!\[CDATA\[|\]\]>|,(?=\s*[}\]])"
_REPAIR_TOKEN = re.compile(_STRING + _COMMENTS + r"|<!--.*?-->|<!--|-->", re.DOTALL)
_REPAIR_TOKEN_NO_HTML_COMMENTS = re.compile(_STRING + _COMMENTS + r"|<!--|-->", re.DOTALL)
_ESCAPE = re.compile(r"\\(.)|\"", re.DOTALL)  # an escape, or a quote inside a string
_EMPTY_VALUE = re.compile(r":(\s*)(?=[,}\]])")
_EXTRA_COMMA = re.compile(r"(?<=[,{\[])(\s*),")
_BRACKETS = re.compile(r"[{}\[\]]")
_CLOSER = {"{": "}", "[": "]"}
# An entity, maybe escaped once more ('&amp;amp;', '&amp;#39;': a shop escaping twice).
_ENTITY = re.compile(r"&(?:amp;)*(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def is_jsonld_type(kind: str | None) -> bool:
    """Whether a <script> type says JSON-LD ('application/ld+json', any case, maybe '; charset=...')."""
    return kind is not None and kind.partition(";")[0].strip().lower() == "application/ld+json"


def read_jsonld(tree: LexborHTMLParser) -> list[Node]:
    """Every object in every JSON-LD block, each block's breadth first, in page order."""
    nodes: list[Node] = []
    for script in tree.tags("script"):  # tags() avoids the cost of the CSS engine
        if not is_jsonld_type(script.attributes.get("type")):
            continue
        text = script.text(deep=True)
        entities = "&" in text and _ENTITY.search(text) is not None
        for document in _documents(text):
            found = list(walk(document))
            if entities:
                _unescape_entities(found)
            nodes.extend(found)
    return nodes


def _documents(text: str) -> list[object]:
    """The JSON values of one block (see the module docstring)."""
    decoder = _VALUE_DECODER if '"@value"' in text else _DECODER
    try:
        # Decimal keeps prices exact.
        return [decoder.decode(text)]
    except RecursionError:
        return []
    except ValueError:
        pass
    values: list[object] = []
    repaired = _repair(text)
    position, end = 0, len(repaired)
    while len(values) < _MAX_VALUES:
        position = _SEPARATORS.match(repaired, position).end()  # type: ignore[union-attr]
        if position >= end:
            break
        try:
            value, position = decoder.raw_decode(repaired, position)
        except (ValueError, RecursionError):
            break
        values.append(value)
    return values


def _repair(text: str) -> str:
    text = _unwrap(text)
    pieces: list[str] = []
    open_brackets: list[str] = []
    position = 0
    pattern = _REPAIR_TOKEN
    while (match := pattern.search(text, position)) is not None:
        pieces.append(_mend_gap(text[position : match.start()], text[match.start()], open_brackets))
        position = match.end()
        token = match.group()
        if match.group("string") is not None:
            inner = token[1:-1]
            pieces.append(f'"{_ESCAPE.sub(_mend_escape, inner)}"' if "\\" in inner or '"' in inner else token)
        elif match.group("open_string") is not None:
            pieces.append(text[match.start() :])  # a string that never ends: leave the rest as it is
            return "".join(pieces)
        elif match.group("open_block") is not None and not token.endswith("*/"):
            return "".join(pieces)  # a comment that never ends: it runs to the end
        elif token == "<!--" and pattern is _REPAIR_TOKEN:
            pattern = _REPAIR_TOKEN_NO_HTML_COMMENTS  # unterminated: no later <!-- has an end either
    pieces.append(_mend_gap(text[position:], "", open_brackets))
    pieces.extend(_CLOSER[bracket] for bracket in reversed(open_brackets))
    return "".join(pieces)


def _mend_gap(gap: str, following: str, open_brackets: list[str]) -> str:
    """The text between two strings (or comments) mended: a doubled comma is one, an empty value
    is null (`following` is the character after the gap); its brackets counted in `open_brackets`,
    to close those a cut-off block leaves open."""
    if not gap:
        return gap
    if "," in gap:
        gap = _EXTRA_COMMA.sub(r"\1", gap)
    if ":" in gap:
        mended = _EMPTY_VALUE.sub(r":\1null", gap + following)
        gap = mended[: len(mended) - len(following)]
    for bracket in _BRACKETS.findall(gap):
        if bracket in "{[":
            open_brackets.append(bracket)
        elif open_brackets:
            open_brackets.pop()
    return gap


def _unwrap(text: str) -> str:
    """The block without <!-- -->, CDATA or comment wrappers around the whole of it."""
    for _ in range(4):
        before = text
        text = text.strip()
        for start in _WRAPPER_START:
            if text.startswith(start):
                text = text[len(start) :].lstrip()
        for end in _WRAPPER_END:
            if text.endswith(end):
                text = text[: -len(end)].rstrip()
        if text == before:
            break
    return text


def _mend_escape(match: re.Match[str]) -> str:
    """JSON's escapes stay; any other ('\\'', '\\x') loses its backslash; a bare quote inside a
    string is escaped."""
    escaped = match.group(1)
    if escaped is None:
        return '\\"'
    return match.group() if escaped in '"\\/bfnrtu' else escaped


def _unescape_entities(nodes: list[Node]) -> None:
    """&amp; -> & in the string values of `nodes` and in their lists of strings, in place."""
    for node in nodes:
        for key, value in node.items():
            if isinstance(value, str):
                if "&" in value:
                    node[key] = _ENTITY.sub(_entity, value)
            elif isinstance(value, list):
                for position, item in enumerate(value):
                    if isinstance(item, str) and "&" in item:
                        value[position] = _ENTITY.sub(_entity, item)


def _entity(match: re.Match[str]) -> str:
    return html.unescape(f"&{match.group(1)};")
