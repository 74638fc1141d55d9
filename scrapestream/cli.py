"""The `scrapestream` command: one entry point, a subcommand per job.

Each handler takes the parsed arguments and the validated settings and returns an exit code.
Handlers import what they need lazily, so `--help` stays instant.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from scrapestream.config import ConfigError, Settings, load_settings
from scrapestream.demo import FAULT_KINDS
from scrapestream.infra.service_process import InfraError

Handler = Callable[[argparse.Namespace, Settings], int]


# -- infra --------------------------------------------------------------------------------
def infra_up(args: argparse.Namespace, settings: Settings) -> int:
    from scrapestream.infra import stack

    settings = _stack_settings(args, settings)
    code = _print_health(stack.up(settings))
    if settings.infra_replicated:
        from scrapestream.infra.replicated import replicated_env

        print("# point the pipeline's processes at the replicated stack:", file=sys.stderr)
        for name, value in replicated_env(settings).items():
            print(f"export {name}={value}", file=sys.stderr)
    return code


def _stack_settings(args: argparse.Namespace, settings: Settings) -> Settings:
    """The settings with `--replicated` applied: the infra commands then act on the replicated stack."""
    import dataclasses

    return dataclasses.replace(settings, infra_replicated=True) if args.replicated else settings


def infra_down(args: argparse.Namespace, settings: Settings) -> int:
    from scrapestream.infra import stack

    for component, pids in stack.down(_stack_settings(args, settings)):
        print(f"{component}: {'stopped pid ' + ', '.join(map(str, pids)) if pids else 'was not running'}")
    return 0


def infra_status(args: argparse.Namespace, settings: Settings) -> int:
    from scrapestream.infra import stack

    return _print_health(stack.status(_stack_settings(args, settings)))


def infra_logs(args: argparse.Namespace, settings: Settings) -> int:
    from scrapestream.infra import stack

    print(stack.log_tail(_stack_settings(args, settings), args.component, args.lines))
    return 0


def _print_health(report: list) -> int:
    for health in report:
        pids = f" pid {','.join(map(str, health.pids))}" if health.pids else ""
        print(
            f"{health.component:<11} {'healthy' if health.healthy else 'DOWN':<8}{pids:<12} {health.detail}"
        )
    return 0 if all(health.healthy for health in report) else 1


# -- demo ---------------------------------------------------------------------------------
def demo(args: argparse.Namespace, settings: Settings) -> int:
    from scrapestream.demo.faults import Fault
    from scrapestream.demo.main import STOP_DEADLINE, DemoOptions, run
    from scrapestream.supervisor import stop_on_signals

    stop_on_signals(deadline=STOP_DEADLINE)  # SIGINT or SIGTERM to this pid alone stops everything
    fault = Fault(args.fault, args.fault_at) if args.fault else None
    options = DemoOptions(args.duration, args.products, args.scrapers, args.keep_running, fault=fault)
    return run(settings, options)


def run_pipeline(args: argparse.Namespace, settings: Settings) -> int:
    from scrapestream import supervisor

    supervisor.stop_on_signals()
    return supervisor.run(settings)


def demo_shop(args: argparse.Namespace, settings: Settings) -> int:
    from demoshop import command_flags

    return command_flags.run(args)


# -- requests in ---------------------------------------------------------------------------
def publish(args: argparse.Namespace, settings: Settings) -> int:
    from producers import publish_command

    return publish_command.run(args, settings)


def gateway(args: argparse.Namespace, settings: Settings) -> int:
    from producers import gateway as http_gateway

    return http_gateway.run(settings, prefix=args.topic_prefix)


# -- reading side -----------------------------------------------------------------------------
def subscribe(args: argparse.Namespace, settings: Settings) -> int:
    from consumers import subscribe_command

    return subscribe_command.run(args, settings)


def sql(args: argparse.Namespace, settings: Settings) -> int:
    from scrapestream.stores import sql_command

    return sql_command.run(args, settings)


def lag(args: argparse.Namespace, settings: Settings) -> int:
    from scrapestream import lag as consumer_lag

    return consumer_lag.run_command(settings, prefix=args.topic_prefix)


# -- topics and schemas -------------------------------------------------------------------
def topics_command(args: argparse.Namespace, settings: Settings) -> int:
    from scrapestream import topics

    return topics.run_command(args.action, settings)


def schemas_check(args: argparse.Namespace, settings: Settings) -> int:
    from schemas import compat

    return compat.cmd_check()


def schemas_freeze(args: argparse.Namespace, settings: Settings) -> int:
    from schemas import compat

    return compat.cmd_freeze()


# -- dead letters ---------------------------------------------------------------------------
def dlq_list(args: argparse.Namespace, settings: Settings) -> int:
    from scrapestream import dlq_command

    return dlq_command.run_command("list", settings, prefix=args.topic_prefix, limit=args.limit)


def dlq_replay(args: argparse.Namespace, settings: Settings) -> int:
    from scrapestream import dlq_command

    return dlq_command.run_command(
        "replay", settings, prefix=args.topic_prefix, reason=args.reason, since=args.since
    )


# -- stores -------------------------------------------------------------------------------
def db_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from scrapestream.stores import migrate

    return migrate.run_command(settings)


# -- workers ------------------------------------------------------------------------------
def worker_streams(args: argparse.Namespace, settings: Settings) -> int:
    import uvloop

    from streams.app import run_worker
    from streams.topology import request_router_app

    # The router is Faust's per-event asyncio machinery above all: on uvloop it routed ~10 % more
    # requests/s in alternating bench runs. Installed before the app exists, as Faust takes its loop
    # from the policy then. (The fan-out measured no better on it and keeps asyncio's loop.)
    uvloop.install()
    run_worker(request_router_app(settings, prefix=args.topic_prefix), loglevel=args.loglevel)
    return 0


def worker_fanout(args: argparse.Namespace, settings: Settings) -> int:
    from streams.app import run_worker
    from streams.topology import fanout_app

    run_worker(fanout_app(settings, prefix=args.topic_prefix), loglevel=args.loglevel)
    return 0


def worker_scraper(args: argparse.Namespace, settings: Settings) -> int:
    import logging

    import uvloop

    from consumers.scraper.consumer import run_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # uvloop: the worker is one busy core of asyncio callbacks (aiohttp, Kafka reports, slots); on
    # uvloop it spent ~10 % less CPU a page in alternating bench runs. Playwright runs on it too.
    uvloop.run(
        run_worker(settings, browser=args.browser, concurrency=args.concurrency, prefix=args.topic_prefix)
    )
    return 0


# -- parser -------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scrapestream",
        description="ScrapeStream: product scraping as an event-streaming pipeline "
        "(Avro over Kafka, Faust agents, Cassandra and ClickHouse).",
        epilog="Settings come from SCRAPESTREAM_* environment variables or scrapestream.toml; "
        "see docs/configuration.md.",
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    infra = _group(commands, "infra", "run the local Kafka, Cassandra and ClickHouse stack")
    _command(infra, "up", infra_up, "start the local stack and wait until every part answers")
    _command(infra, "down", infra_down, "stop every local server process of ours (data is kept)")
    _command(infra, "status", infra_status, "show whether each component answers (exit 1 if not)")
    logs = _command(infra, "logs", infra_logs, "print the tail of a component's log")
    logs.add_argument(
        "component", help="kafka or cassandra; with --replicated also one node: kafka-1, cassandra-2, ..."
    )
    logs.add_argument("-n", "--lines", type=int, default=50, help="how many lines (default 50)")
    for command in infra.choices.values():
        command.add_argument(
            "--replicated",
            action="store_true",
            help="act on the replicated stack (3 Kafka brokers, 3 Cassandra nodes) instead of the single "
            "nodes; also SCRAPESTREAM_INFRA_REPLICATED=1",
        )

    topics = _group(commands, "topics", "create and verify the Kafka topics of the catalog")
    for action, help_text in (
        ("create", "create missing topics (existing ones are left alone, nothing is deleted)"),
        ("describe", "show partitions and configuration of every topic"),
        ("check", "report drift from the catalog (exit 1 if any)"),
    ):
        _command(topics, action, topics_command, help_text).set_defaults(action=action)

    requests = _command(commands, "publish", publish, "publish scrape requests for URLs or a file of URLs")
    from producers.publish_command import (
        add_arguments as add_publish_arguments,  # argparse only: keeps --help fast
    )

    add_publish_arguments(requests)
    http = _command(commands, "gateway", gateway, "serve the HTTP gateway: requests in, reads, streams, SQL")
    http.add_argument("--topic-prefix", default="", help="prefix of every topic name (isolated pipelines)")

    updates = _command(commands, "subscribe", subscribe, "print product updates, one line each")
    from consumers.subscribe_command import add_arguments as add_subscribe_arguments  # argparse only

    add_subscribe_arguments(updates)
    query = _command(commands, "sql", sql, "read-only SQL on the analytics database (no query: a prompt)")
    from scrapestream.stores.sql_command import add_arguments as add_sql_arguments  # argparse only

    add_sql_arguments(query)
    lags = _command(commands, "lag", lag, "print the consumer lag of every pipeline group per partition")
    lags.add_argument("--topic-prefix", default="", help="prefix of every topic and group name")

    schemas = _group(commands, "schemas", "check and freeze the Avro event schemas")
    _command(schemas, "check", schemas_check, "check every schema is frozen and BACKWARD compatible")
    _command(schemas, "freeze", schemas_freeze, "freeze changed schemas as new history versions, then check")

    dlq = _group(commands, "dlq", "inspect the dead-letter topic and replay its messages")
    dlq_lister = _command(
        dlq, "list", dlq_list, "show dead letters: source topic/partition/offset and reason"
    )
    dlq_lister.add_argument("--limit", type=_positive, default=50, help="letters shown (default 50)")
    replayer = _command(
        dlq, "replay", dlq_replay, "re-produce dead letters' original bytes and key to their source topic"
    )
    replayer.add_argument("--reason", help="only letters with this error type, e.g. 'unknown fingerprint'")
    replayer.add_argument("--since", help="only letters that failed since: ISO 8601 time or an age (2h, 1d)")
    for command in (dlq_lister, replayer):
        command.add_argument("--topic-prefix", default="", help="prefix of the topic names (test pipelines)")

    db = _group(commands, "db", "create and upgrade the Cassandra and ClickHouse schemas")
    _command(db, "migrate", db_migrate, "apply pending migrations (idempotent; safe on every deploy)")

    workers = _group(commands, "worker", "run a pipeline worker (workers of a kind share one consumer group)")
    streams = _command(workers, "streams", worker_streams, "dedup, batch and route scrape requests (Faust)")
    fanout = _command(
        workers, "fanout", worker_fanout, "store results in Cassandra and ClickHouse, emit updates (Faust)"
    )
    scraper = _command(workers, "scraper", worker_scraper, "fetch and extract the pages of scrape tasks")
    scraper.add_argument(
        "--browser", action="store_true", help="serve the browser lane (scrape.browser-tasks.*) with Chromium"
    )
    scraper.add_argument("--concurrency", type=_positive, help="page fetches in flight (default: setting)")
    for worker in (streams, fanout):
        worker.add_argument("--loglevel", default="warn", choices=("crit", "error", "warn", "info", "debug"))
    for worker in (streams, fanout, scraper):
        worker.add_argument(
            "--topic-prefix",
            default="",
            help="prefix of every topic and group name (isolated test pipelines)",
        )

    demo_command = _command(
        commands, "demo", demo, "run the whole pipeline on a seeded workload and account for it"
    )
    demo_command.add_argument(
        "--duration", type=float, default=180.0, help="give up waiting after this many s"
    )
    demo_command.add_argument(
        "--products", type=_positive, default=150, help="catalogue size of each demo shop"
    )
    demo_command.add_argument("--scrapers", type=_positive, default=2, help="scraper processes (default 2)")
    demo_command.add_argument(
        "--keep-running", action="store_true", help="leave the pipeline up until Ctrl-C"
    )
    demo_command.add_argument(
        "--fault",
        choices=FAULT_KINDS,
        help="SIGKILL this worker, or this server (restarted 30 s later), during the first pass",
    )
    demo_command.add_argument(
        "--fault-at", type=float, default=3.0, help="seconds after publishing to strike (default 3)"
    )
    _command(commands, "run", run_pipeline, "run the pipeline's processes against the configured clusters")
    shop = _command(commands, "demo-shop", demo_shop, "serve the local demo e-commerce site (three shops)")
    from demoshop.command_flags import (
        add_arguments as add_demo_shop_arguments,  # argparse only: keeps --help fast
    )

    add_demo_shop_arguments(shop)
    return parser


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return int(text)


def _group(commands: argparse._SubParsersAction, name: str, help_text: str) -> argparse._SubParsersAction:
    group = commands.add_parser(name, help=help_text, description=help_text)
    return group.add_subparsers(title="commands", metavar="COMMAND", required=True)


def _command(
    commands: argparse._SubParsersAction, name: str, handler: Handler, help_text: str
) -> argparse.ArgumentParser:
    command = commands.add_parser(name, help=help_text, description=help_text)
    command.set_defaults(handler=handler)
    return command


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args, load_settings())
    except ConfigError as error:
        print(f"scrapestream: configuration error: {error}", file=sys.stderr)
        return 2
    except InfraError as error:
        # Operational failures carry an actionable message; show it without a traceback.
        print(f"scrapestream: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
