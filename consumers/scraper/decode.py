"""The decode stage: response bytes -> HTML text, or a failure for what is not a usable HTML page.

Charset order: the Content-Type header's charset, a byte-order mark, the page's own
<meta charset> / http-equiv declaration, then sniffing: strict UTF-8, else cp1252 (which decodes
any byte; the usual mislabelled-Latin case). A declared charset that fails to decode strictly is a
lie (e.g. a cp1252 page labelled utf-8) and the next source is tried.
"""

from __future__ import annotations

import codecs
import re

from consumers.scraper.outcome import Response, ScrapeFailure, Status

HTML_TYPES = frozenset(("text/html", "application/xhtml+xml"))
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.IGNORECASE)
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_CLOSING_TAGS = (b"</html", b"</body", b"</HTML", b"</BODY")
_TAIL_BYTES = 4096


def html_text(response: Response) -> str:
    """The page's text, after checking it is a complete HTML document."""
    media_type, charset = split_content_type(response.headers.get("content-type", ""))
    if media_type and media_type not in HTML_TYPES:
        raise ScrapeFailure(
            Status.ERROR, f"content type {media_type} is not HTML", http_status=response.status
        )
    if not media_type and not response.body.lstrip()[:1] == b"<":
        raise ScrapeFailure(
            Status.ERROR, "no content type and the body is not markup", http_status=response.status
        )
    tail = response.body[-_TAIL_BYTES:]
    if not any(tag in tail for tag in _CLOSING_TAGS):
        raise ScrapeFailure(
            Status.ERROR, "page looks truncated: no closing </body> or </html>", http_status=response.status
        )
    return decode_body(response.body, charset)


def split_content_type(header: str) -> tuple[str, str | None]:
    """('text/html', 'utf-8') from 'text/html; charset="UTF-8"'; the media type lower-cased."""
    media_type, _, parameters = header.partition(";")
    charset = None
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip("\"'")
    return media_type.strip().lower(), charset


def decode_body(body: bytes, declared: str | None = None) -> str:
    for encoding in _candidates(body, declared):
        try:
            return body.decode(encoding)
        except (UnicodeError, LookupError):  # UnicodeError, not only ...DecodeError: codecs such as
            continue  # "undefined" or "idna" raise the base class for a page that names them
    return body.decode("cp1252", errors="replace")


def _candidates(body: bytes, declared: str | None) -> list[str]:
    candidates = [declared] if declared else []
    candidates += [encoding for bom, encoding in _BOMS if body.startswith(bom)]
    meta = _META_CHARSET.search(body[:2048])
    if meta:
        candidates.append(meta.group(1).decode("ascii"))
    return [*candidates, "utf-8"]
