"""Run the demo shop on ephemeral ports in a background thread, and fetch from it over real HTTP."""

from __future__ import annotations

import asyncio
import http.client
import threading
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from demoshop.catalog import Catalog
from demoshop.config import DemoShopConfig, FaultConfig
from demoshop.server import DemoShop

EPHEMERAL = {"microdata": 0, "jsonld": 0, "js": 0}


@dataclass
class Fetched:
    status: int
    headers: dict[str, str]
    body: bytes
    url: str

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


@dataclass
class RunningShop:
    """`with RunningShop(catalog=...) as running:` then `running.get("microdata", "/robots.txt")`."""

    catalog: Catalog
    faults: FaultConfig = field(default_factory=FaultConfig)
    page_size: int = 24
    shop: DemoShop = field(init=False)
    _loop: asyncio.AbstractEventLoop = field(init=False)
    _thread: threading.Thread = field(init=False)

    def __enter__(self) -> RunningShop:
        config = DemoShopConfig(
            seed=self.catalog.seed,
            products=self.catalog.size,
            ports=dict(EPHEMERAL),
            epoch_seconds=0,  # only tests move the clock
            page_size=self.page_size,
            faults=self.faults,
        )
        self.shop = DemoShop(config, catalog=self.catalog)
        self._loop = asyncio.new_event_loop()
        started = threading.Event()

        def serve() -> None:
            asyncio.set_event_loop(self._loop)
            self._loop.run_until_complete(self.shop.start())
            started.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=serve, name="demo-shop", daemon=True)
        self._thread.start()
        assert started.wait(30), "demo shop did not start"
        return self

    def __exit__(self, *exc_info: object) -> None:
        asyncio.run_coroutine_threadsafe(self.shop.stop(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(30)
        self._loop.close()

    def url(self, shop: str, path: str = "") -> str:
        return self.shop.urls[shop] + path

    def get(self, shop: str, path: str, method: str = "GET", timeout: float = 10.0) -> Fetched:
        """One request, redirects not followed."""
        return fetch(self.url(shop, path), method, timeout)

    def follow(self, shop: str, path: str, hops: int = 5) -> Fetched:
        """GET following up to `hops` redirects."""
        url = self.url(shop, path)
        for _ in range(hops):
            response = fetch(url)
            if response.status not in (301, 302, 303, 307, 308):
                return response
            url = self.url(shop, response.headers["location"])
        raise AssertionError(f"more than {hops} redirects from {path}")


def fetch(url: str, method: str = "GET", timeout: float = 10.0) -> Fetched:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request(method, parts.path + (f"?{parts.query}" if parts.query else ""))
        response = connection.getresponse()
        headers = {name.lower(): value for name, value in response.getheaders()}
        return Fetched(response.status, headers, response.read(), url)
    finally:
        connection.close()
