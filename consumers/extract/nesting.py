"""A cheap bound on how deeply a page nests its elements, checked before the HTML parser sees it.

Why: lexbor's tree construction costs time quadratic in the nesting depth (measured: 20,000
nested <div>s take 0.5 s, 40,000 take 2 s, 100,000 take 14 s), and it runs on the scraper's
event loop, where a hostile 2 MB page of "<div>" (400,000 levels) would stall every other
scrape of the worker for minutes. Real pages nest a few dozen levels (Chromium's own parser stops
nesting at 512).

The estimate counts, in one linear scan, start tags not yet matched by an end tag of the same
name. It errs on the high side (a stray "<div>" in a script or an unclosed <span> counts), never
on the low side except for parser-created elements, so MAX_NESTING leaves a wide margin.
"""

from __future__ import annotations

import re
from collections import Counter

MAX_NESTING = 4000  # lexbor parses 4,000 levels in about 20 ms
_TAG = re.compile(r"<(/?)([a-zA-Z][^\s/>]*)")
# Elements that never hold children, or that a repeated start tag closes (a new <li> ends the
# previous one): they never deepen the tree by repetition.
_VOID = ("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr")
_CLOSED_BY_SIBLING = ("li", "p", "option", "optgroup", "dt", "dd", "tr", "td", "th", "rb", "rt", "rp")
_NOT_NESTING = frozenset((*_VOID, *_CLOSED_BY_SIBLING))


def nests_too_deep(html: str) -> bool:
    """Whether the estimated nesting of `html` reaches MAX_NESTING."""
    if len(html) < 3 * MAX_NESTING or html.count("<") < MAX_NESTING:
        return False  # too few tags to nest that deep (a start tag takes 3 characters at least)
    open_by_name: Counter[str] = Counter()
    depth = 0
    for closing, name in _TAG.findall(html):
        name = name.lower()
        if name in _NOT_NESTING:
            continue
        if not closing:
            open_by_name[name] += 1
            depth += 1
            if depth >= MAX_NESTING:
                return True
        elif open_by_name[name]:
            open_by_name[name] -= 1
            depth -= 1
    return False
