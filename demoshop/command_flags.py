"""Flags of `scrapestream demo-shop`, kept here so scrapestream/cli.py only wires the command.

Imports nothing heavy: the aiohttp server is imported when the command runs.
"""

from __future__ import annotations

import argparse
import sys

from demoshop.config import BROKEN_KINDS, DEFAULT_PORTS, DemoShopConfig, DemoShopConfigError, FaultConfig


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, default=42, help="catalogue seed (default 42)")
    parser.add_argument("--products", type=int, default=10_000, help="catalogue size (default 10000)")
    parser.add_argument(
        "--ports",
        default=",".join(str(port) for port in DEFAULT_PORTS.values()),
        help="microdata,jsonld,js shop ports (default %(default)s; 0 = any free port)",
    )
    parser.add_argument(
        "--epoch-seconds",
        type=float,
        default=300.0,
        help="seconds per price epoch (default 300; 0 = prices move only via POST /_admin/clock)",
    )
    parser.add_argument("--page-size", type=int, default=24, help="products per category page (default 24)")
    faults = parser.add_argument_group("fault injection (fractions of page requests)")
    for name in ("latency", "not-found", "redirect", "throttle", "unavailable"):
        faults.add_argument(f"--{name}-rate", type=float, default=0.0)
    faults.add_argument(
        "--broken-rate", type=float, default=0.0, help=f"spread over {', '.join(BROKEN_KINDS)}"
    )
    faults.add_argument("--latency-ms", type=int, default=50)
    faults.add_argument("--retry-after", type=int, default=1, help="Retry-After seconds on 429/503")


def config_from_args(args: argparse.Namespace) -> DemoShopConfig:
    """Raises DemoShopConfigError naming the bad flag."""
    try:
        ports = [int(port) for port in args.ports.split(",")]
    except ValueError:
        raise DemoShopConfigError(
            f"--ports: {args.ports!r} is not a comma-separated list of numbers"
        ) from None
    if len(ports) != len(DEFAULT_PORTS):
        raise DemoShopConfigError(f"--ports: give {len(DEFAULT_PORTS)} ports ({', '.join(DEFAULT_PORTS)})")
    faults = FaultConfig.with_broken_rate(
        args.broken_rate,
        latency_rate=args.latency_rate,
        latency_ms=args.latency_ms,
        not_found_rate=args.not_found_rate,
        redirect_rate=args.redirect_rate,
        throttle_rate=args.throttle_rate,
        unavailable_rate=args.unavailable_rate,
        retry_after_seconds=args.retry_after,
    )
    return DemoShopConfig(
        seed=args.seed,
        products=args.products,
        ports=dict(zip(DEFAULT_PORTS, ports, strict=True)),
        epoch_seconds=args.epoch_seconds,
        page_size=args.page_size,
        faults=faults,
    )


def run(args: argparse.Namespace) -> int:
    try:
        config = config_from_args(args)
    except DemoShopConfigError as error:
        print(f"scrapestream demo-shop: {error}", file=sys.stderr)
        return 2
    from demoshop.server import serve

    return serve(config)
