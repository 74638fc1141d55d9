"""The web world's servers: every domain on an address of its own, and an admin endpoint.

    WebWorld            `async with WebWorld(config) as world:` serves until the block ends

Domain i listens on network_address + i + 1 (one socket bound to that address only), every domain
on the same port; one aiohttp application serves them all and tells them apart by the local
address the connection arrived on (which, unlike a Host header, cannot lie). At each arrival the
domain's ledger judges the request against its limits and counts it; a strict domain answers a
violation 429 with Retry-After, a lenient one serves it anyway.

Admin endpoint (admin_host:admin_port):
    GET  /stats      WorldStats as JSON: totals and one row per domain
    GET  /profiles   {"seed", "network", "port", "user_agent", "domains": [DomainProfile, ...]}
    POST /reset      zero every counter
"""

from __future__ import annotations

import asyncio
import errno
import math
import resource
import socket
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from webworld.answers import answer
from webworld.catalog import Expected, Product, make_product
from webworld.config import WorldConfig
from webworld.ledger import DomainLedger, WorldStats
from webworld.pages import home_page, product_page
from webworld.profiles import DomainProfile, build_profiles, domain_hosts, expected_at, product_urls
from webworld.robots import USER_AGENT

Clock = Callable[[], float]
_SPARE_FILES = 1024  # open files beyond the listening sockets: connections, the admin socket, ...
_PORT_ATTEMPTS = 5  # a free port of the first address may be taken on another one: pick again
_HTML = "text/html"


class _Domain:
    """A domain's profile, ledger and pages."""

    def __init__(self, profile: DomainProfile, config: WorldConfig) -> None:
        self.profile = profile
        self.ledger = DomainLedger(profile, config.tolerance, rate_interval=1 / config.rate)
        self._seed = config.seed
        self.numbers = {path: number for number, path in enumerate(profile.products)}

    def product(self, number: int) -> Product:
        return make_product(self._seed, self.profile.index, number, self.profile.currency)

    def page(self, path: str) -> web.Response:
        if path == "/robots.txt":
            if self.profile.robots_txt is None:
                return web.Response(status=404, text="no robots.txt here\n")
            return web.Response(text=self.profile.robots_txt, content_type="text/plain")
        if path == "/":
            products = [self.product(number) for number in range(len(self.profile.products))]
            return _html(home_page(self.profile.domain, products))
        if path in self.numbers:
            return _html(product_page(self.product(self.numbers[path])))
        return web.Response(status=404, text="not found\n")


class WebWorld:
    """Many domains on loopback, each with its own latency and politeness limits.

    `clock` times arrivals and Retry-After windows (tests pass a fake one; latency sleeps are
    real, scaled by config.latency_scale). After `start()`: `profiles`, `port`, `stats_url`.
    """

    def __init__(self, config: WorldConfig | None = None, *, clock: Clock = time.monotonic) -> None:
        self.config = config or WorldConfig()
        self.network = self.config.network
        self.allowlist = self.config.network  # an SSRF allowlist entry that lets the scraper in
        self.profiles: tuple[DomainProfile, ...] = ()
        self.port = 0
        self.admin_url = ""
        self._clock = clock
        self._domains: dict[str, _Domain] = {}
        self._runners: list[web.AppRunner] = []

    @property
    def stats_url(self) -> str:
        return f"{self.admin_url}/stats"

    async def start(self) -> None:
        _raise_open_files_limit(self.config.domains + _SPARE_FILES)
        sockets = _bind_domains(domain_hosts(self.config), self.config.port)
        try:
            self.port = sockets[0].getsockname()[1]
            self.profiles = build_profiles(self.config, self.port)
            self._domains = {profile.host: _Domain(profile, self.config) for profile in self.profiles}
            await self._serve(self._domain_app(), sockets)
            admin = _listen(self.config.admin_host, self.config.admin_port)
            sockets.append(admin)
            await self._serve(self._admin_app(), [admin])
        except BaseException:
            await self.stop()
            for sock in sockets:  # those no site took over yet
                sock.close()
            raise
        self.admin_url = f"http://{self.config.admin_host}:{admin.getsockname()[1]}"

    async def _serve(self, app: web.Application, sockets: list[socket.socket]) -> None:
        # Handlers still sleeping at shutdown (tarpits) are cancelled after a second.
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        self._runners.append(runner)
        for sock in sockets:
            await web.SockSite(runner, sock, backlog=1024).start()

    async def stop(self) -> None:
        for runner in self._runners:
            await runner.cleanup()
        self._runners.clear()

    async def __aenter__(self) -> WebWorld:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # -- ground truth and counters ----------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        """What a client needs to find the world (the CLI's ready line)."""
        return {
            "stats_url": self.stats_url,
            "profiles_url": f"{self.admin_url}/profiles",
            "port": self.port,
            "network": self.network,
            "domains": len(self.profiles),
        }

    def product_urls(self) -> list[str]:
        """Every product URL of every domain (robots.txt-disallowed ones included), in domain order."""
        return product_urls(self.profiles)

    def expected(self, url: str) -> Expected:
        """The title, price and currency the product page at `url` shows. KeyError if it is none."""
        return expected_at(self.config.seed, self.profiles, url)

    def stats(self) -> WorldStats:
        return WorldStats.of(tuple(domain.ledger.stats() for domain in self._domains.values()))

    def reset(self) -> None:
        for domain in self._domains.values():
            domain.ledger.reset()

    # -- the domains ------------------------------------------------------------------------
    def _domain_app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/{path:.*}", self._handle)
        return app

    async def _handle(self, request: web.Request) -> web.Response:
        domain = self._domain_of(request)
        ledger = domain.ledger
        arrival = ledger.arrive(request.path_qs, self._clock())
        try:
            if arrival.violations and domain.profile.strict:
                response = _retry_later(429, max(1, math.ceil(domain.profile.interval)))
            else:
                response = await self._answer(domain, request, arrival.nth)
            retry_after = response.headers.get("Retry-After")
            ledger.answered(
                response.status,
                product_page=request.path in domain.numbers,
                retry_after=int(retry_after) if retry_after else None,
                now=self._clock(),
                robots_txt=request.path == "/robots.txt",
            )
            return response
        finally:
            ledger.depart()

    def _domain_of(self, request: web.Request) -> _Domain:
        transport = request.transport
        if transport is None:  # the client has gone: nobody will read an answer
            raise web.HTTPBadRequest(text="connection closed")
        return self._domains[transport.get_extra_info("sockname")[0]]

    async def _answer(self, domain: _Domain, request: web.Request, nth: int) -> web.Response:
        """After the request's latency: a flaky domain's 503, else the page."""
        latency, retry_after = answer(self.config, domain.profile, request.path_qs, nth)
        await asyncio.sleep(latency)
        if retry_after is not None:
            return _retry_later(503, retry_after)
        return domain.page(request.path)

    # -- admin ------------------------------------------------------------------------------
    def _admin_app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/stats", self._get_stats)
        app.router.add_get("/profiles", self._get_profiles)
        app.router.add_post("/reset", self._post_reset)
        return app

    async def _get_stats(self, request: web.Request) -> web.Response:
        return web.json_response(self.stats().to_json())

    async def _get_profiles(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "seed": self.config.seed,
                "network": self.network,
                "port": self.port,
                "user_agent": USER_AGENT,
                "domains": [profile.to_json() for profile in self.profiles],
            }
        )

    async def _post_reset(self, request: web.Request) -> web.Response:
        self.reset()
        return web.json_response({"reset": True})


def _html(text: str) -> web.Response:
    return web.Response(text=text, content_type=_HTML, charset="utf-8")


def _retry_later(status: int, seconds: int) -> web.Response:
    return web.Response(status=status, headers={"Retry-After": str(seconds)}, text=f"retry in {seconds} s\n")


def _raise_open_files_limit(needed: int) -> None:
    """Lift the soft limit of open files to the hard one: each domain holds a listening socket."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = max(soft, needed)
    if hard < needed:
        raise OSError(
            errno.EMFILE,
            f"the world needs {needed} open files but RLIMIT_NOFILE's hard limit is {hard} (ulimit -Hn)",
        )
    if soft != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _bind_domains(hosts: list[str], port: int, attempts: int = _PORT_ATTEMPTS) -> list[socket.socket]:
    """A socket per host, all on one port: `port`, or (0) the first host's free port."""
    sockets = [_listen(hosts[0], port)]
    try:
        for host in hosts[1:]:
            sockets.append(_listen(host, sockets[0].getsockname()[1]))
    except OSError as error:
        for sock in sockets:
            sock.close()
        if port or error.errno != errno.EADDRINUSE or attempts <= 1:
            raise
        return _bind_domains(hosts, port, attempts - 1)
    return sockets


def _listen(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise OSError(error.errno, f"cannot listen on {host}:{port}: {error.strerror}") from None
    return sock
