"""Serve a gateway app on an ephemeral loopback port from a thread of its own, and call it."""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiohttp import web


@contextmanager
def serving(app: web.Application, **server_options: Any) -> Iterator[str]:
    """Yields the base URL while `app` is served (with aiohttp `server_options`, e.g. the gateway's
    producers.gateway.server_options); cleans the app up afterwards."""
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app, **server_options)
    loop.run_until_complete(runner.setup())
    loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", 0).start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.run_until_complete(runner.cleanup())
        loop.close()


def call(
    url: str, key: str | None, body: object = None, timeout: float = 40.0
) -> tuple[int, dict[str, str], Any]:
    """(status, headers, parsed JSON) of a GET, or a POST when `body` is given."""
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if key:
        headers["X-API-Key"] = key
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())
