"""`scrapestream subscribe`: print product updates as they happen, one line each (or JSON lines)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime

from scrapestream.config import Settings
from scrapestream.topics import TopicNames


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--domain", action="append", default=[], help="only this shop (repeatable)")
    parser.add_argument("--product", action="append", default=[], help="only this product id (repeatable)")
    parser.add_argument(
        "--change",
        action="append",
        default=[],
        help="only updates with this change kind: new, price, availability, content (repeatable)",
    )
    parser.add_argument("--follow", action="store_true", help="keep waiting for new updates (Ctrl-C stops)")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument(
        "--from",
        dest="start",
        type=start_point,
        help="ISO 8601 time (e.g. 2026-11-29T10:00:00Z), 'earliest' or 'latest'; "
        "default: latest with --follow, else earliest",
    )
    parser.add_argument("--topic-prefix", default="", help="prefix of the topic names (isolated pipelines)")


def start_point(text: str) -> str | datetime:
    if text in ("earliest", "latest"):
        return text
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an ISO 8601 time, 'earliest' or 'latest', got {text!r}"
        ) from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no time zone: add Z or +HH:MM")
    return moment


def run(args: argparse.Namespace, settings: Settings) -> int:
    from consumers.subscriptions import InvalidSubscription, format_update, subscribe, update_to_json
    from scrapestream.kafka import BrokerUnavailable

    start = args.start or ("latest" if args.follow else "earliest")
    try:
        subscription = subscribe(
            settings,
            domains=args.domain,
            product_ids=args.product,
            changes=[kind for option in args.change for kind in option.split(",")],
            start=start,
            follow=args.follow,
            topic=TopicNames.prefixed(args.topic_prefix).updates,
        )
    except (InvalidSubscription, BrokerUnavailable) as error:
        print(f"scrapestream subscribe: {error}", file=sys.stderr)
        return 2 if isinstance(error, InvalidSubscription) else 1
    with subscription:
        for update in subscription:
            print(json.dumps(update_to_json(update)) if args.json else format_update(update), flush=True)
    return 0
