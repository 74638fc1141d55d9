"""The robots.txt of each variant, and which paths it disallows for our user agent (ground truth).

    USER_AGENT                         the product token our scraper's groups are written for
    robots_txt(variant, crawl_delay)   the file's text, None for "missing" (the server answers 404)
    disallows(variant, path)           whether the file disallows `path` (with query) for USER_AGENT

Variants (webworld.config.ROBOTS_VARIANTS): "missing"; "allow_all" (an empty Disallow);
"disallow", which exercises RFC 9309 matching: a group of two user agents, ours among them, that
overrides the lenient `*` group; `*` wildcards with a `$` end anchor; and an Allow longer than the
Disallow it sits under (the longest match wins, whatever the order); "crawl_delay", a Crawl-delay
in our group only. `disallows` is written from the rules as constructed here, not by parsing the
text, so tests can hold a parser against it.
"""

from __future__ import annotations

USER_AGENT = "ScrapeStreamBot"
PRODUCTS = "/p/"
# Product paths are shaped (webworld.catalog) so that each rule below matches some of them.
PRIVATE_SUFFIX = "-private"
ARCHIVE = "/p/archive-"
ARCHIVE_CURRENT = "/p/archive-current-"

_EVERYONE_ELSE = "User-agent: *\nDisallow: /cart/\n"
_DISALLOW = (
    f"# {USER_AGENT} has a group of its own: the * group does not apply to it.\n"
    f"{_EVERYONE_ELSE}\n"
    f"User-agent: OtherBot\nUser-agent: {USER_AGENT}\n"
    f"Disallow: {ARCHIVE}\n"
    f"Allow: {ARCHIVE_CURRENT}  # longer than the Disallow above, so it wins\n"
    f"Disallow: {PRODUCTS}*{PRIVATE_SUFFIX}$\n"
)


def robots_txt(variant: str, crawl_delay: float | None) -> str | None:
    if variant == "missing":
        return None
    if variant == "crawl_delay":
        return f"{_EVERYONE_ELSE}\nUser-agent: {USER_AGENT}\nCrawl-delay: {crawl_delay:.2f}\nDisallow:\n"
    if variant == "disallow":
        return _DISALLOW
    return "User-agent: *\nDisallow:\n"  # allow_all: an empty Disallow allows everything


def disallows(variant: str, path: str) -> bool:
    """Whether robots.txt of `variant` disallows `path` (path and query of a URL) for USER_AGENT."""
    if variant != "disallow" or path.startswith(ARCHIVE_CURRENT):
        return False
    return path.startswith(ARCHIVE) or (path.startswith(PRODUCTS) and path.endswith(PRIVATE_SUFFIX))
