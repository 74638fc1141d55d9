"""`python -m webworld [--seed N --domains N --products N ...] [--ready-file PATH]`

Serves a web world until SIGTERM or SIGINT. Once every domain listens it writes one JSON line to
--ready-file if given (atomically: a reader never sees half of it), then prints it to stdout:

    {"stats_url": ..., "profiles_url": ..., "port": ..., "network": ..., "domains": ...}

Every WorldConfig field is a flag (--products is short for --products-per-domain).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
from dataclasses import fields
from pathlib import Path

from webworld.config import WorldConfig, WorldConfigError
from webworld.server import WebWorld

_ALIASES = {"products_per_domain": ["--products"]}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m webworld", description="Serve a web world (see webworld.config.WorldConfig)."
    )
    for item in fields(WorldConfig):
        parser.add_argument(
            f"--{item.name.replace('_', '-')}",
            *_ALIASES.get(item.name, []),
            dest=item.name,
            type=type(item.default),
            default=item.default,
            help="(default: %(default)s)",
        )
    parser.add_argument("--ready-file", type=Path, help="write the ready line here too")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config = WorldConfig(**{item.name: getattr(args, item.name) for item in fields(WorldConfig)})
    except WorldConfigError as error:
        print(f"webworld: {error}", file=sys.stderr)
        return 2
    try:
        asyncio.run(serve(config, args.ready_file))
    except OSError as error:  # cannot listen: too few open files allowed, an address or port in use
        print(f"webworld: {error}", file=sys.stderr)
        return 1
    return 0


async def serve(config: WorldConfig, ready_file: Path | None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with WebWorld(config) as world:
        line = json.dumps(world.summary())
        if ready_file is not None:
            _write_atomically(ready_file, line + "\n")
        print(line, flush=True)  # after the file: whoever reads the line may read the file too
        await stop.wait()


def _write_atomically(path: Path, text: str) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text)
    os.replace(partial, path)


if __name__ == "__main__":
    sys.exit(main())
