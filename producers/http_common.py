"""What every gateway route shares: JSON errors, the authenticated client, JSON bodies and query numbers.

Kept apart from producers/gateway.py so the route modules (product reads, update streams,
analytics) can use it without importing the gateway that registers them.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
from typing import Any

from aiohttp import web

MAX_BODY_BYTES = 4 * 1024 * 1024  # room for 1,000 requests with 2 KiB URLs and their fields
CLIENT = web.RequestKey("client", str)  # the caller's client id, set by the gateway's API-key check
BODY_TIMEOUT = web.AppKey("body_timeout", float)  # seconds a client has to send its whole body
DEFAULT_BODY_TIMEOUT = 10.0
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")  # a JSON number (leading zeros let through)


class ApiError(Exception):
    """An HTTP error answered as JSON: {"error": message, "field": ..., plus extras}."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        field: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"error": message, **({"field": field} if field else {}), **extra}
        self.headers = headers or {}

    def response(self) -> web.Response:
        return web.json_response(self.body, status=self.status, headers=self.headers)


async def read_json(request: web.Request) -> Any:
    """The parsed JSON body; 415 unless declared JSON, 413 when too large, 408 when it does not
    arrive within the app's BODY_TIMEOUT (a slow-drip client must not hold a handler forever),
    400 when malformed or nested too deeply for the parser (RecursionError: "[[[[..." bodies)."""
    if request.content_type != "application/json":
        raise ApiError(415, f"expected Content-Type application/json, got {request.content_type}")
    timeout = request.app.get(BODY_TIMEOUT, DEFAULT_BODY_TIMEOUT)
    try:
        async with asyncio.timeout(timeout):
            body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise ApiError(413, f"body larger than {MAX_BODY_BYTES} bytes") from None
    except TimeoutError:
        raise ApiError(408, f"body not received within {timeout:g} s") from None
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise ApiError(400, f"malformed JSON: {error}") from None
    except RecursionError:
        raise ApiError(400, "malformed JSON: nested too deeply") from None


def seconds_param(request: web.Request, name: str, maximum: float = math.inf) -> float | None:
    """A query parameter in seconds (0 to `maximum`), or None when absent; 400 naming it otherwise."""
    raw = request.query.get(name)
    if raw is None:
        return None
    if not _NUMBER.fullmatch(raw):  # float() also takes "inf", "nan", "1_000", " 5", full-width digits
        raise ApiError(400, f"expected a number of seconds, got {raw!r}", field=name)
    value = float(raw)
    if not 0 <= value <= maximum:
        raise ApiError(400, f"{value:g} is outside 0-{maximum:g} seconds", field=name)
    return value


def query_values(request: web.Request, name: str) -> list[str]:
    """Every value of a repeatable query parameter, commas splitting values too (?domain=a,b&domain=c)."""
    return [value for raw in request.query.getall(name, []) for value in raw.split(",") if value.strip()]
