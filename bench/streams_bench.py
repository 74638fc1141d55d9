"""Router throughput: one `worker streams` (decode, dedup table, batch, route) vs a bare consume→produce loop.

Run: .venv/bin/python bench/streams_bench.py [--requests 50000] [--duplicates 0.2]

Needs the local Kafka (`scrapestream infra up`). Both contenders read the same pre-published
ScrapeRequests from a topic of their own (unique prefix, deleted afterwards):
  router  the real Faust worker as a subprocess; rate = requests / span of its output's broker
          timestamps (tasks are written as their batches fill, so the span is the routing time);
  bare    confluent-kafka consume → produce of the same bytes to another topic, no decoding:
          the ceiling for moving these messages through Kafka from Python on this machine.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import time
import uuid

import faust
import uvloop
from confluent_kafka import TopicPartition

from producers.publisher import RequestPublisher
from schemas.codec import Codec
from scrapestream.config import Settings, load_settings
from scrapestream.demo.main import delete_topics
from scrapestream.kafka import make_admin, make_consumer, make_producer
from scrapestream.topics import TopicNames, catalog, create_topics
from streams.app import make_app, run_worker
from streams.topology import INPUT_BATCH, INPUT_WAIT

SHOPS = 20  # distinct domains, so batches fill the way they do in a real crawl


def publish(settings: Settings, names: TopicNames, count: int, duplicates: float) -> int:
    """Publish `count` requests, a share of them repeating an earlier URL; returns the distinct URLs."""
    rng = random.Random(1)
    urls: list[str] = []
    with RequestPublisher(settings, topic=names.requests) as publisher:
        for number in range(count):
            if urls and rng.random() < duplicates:
                url = rng.choice(urls)
            else:
                url = f"https://shop{number % SHOPS}.example/p/{number}"
                urls.append(url)
            publisher.publish(url, priority=rng.choice(("HIGH", "NORMAL", "BULK")))
        publisher.flush(120)
    return len(urls)


def output_timestamps(settings: Settings, topics: list[str], expected: int, timeout: float) -> list[int]:
    """Broker timestamps of the messages on `topics`, once their requests add up to `expected`."""
    codec = Codec.for_settings(settings)
    consumer = make_consumer(settings, f"bench-reader-{uuid.uuid4().hex[:8]}")
    consumer.subscribe(topics)
    stamps, routed, deadline = [], 0, time.monotonic() + timeout
    try:
        while routed < expected and time.monotonic() < deadline:
            for message in consumer.consume(1000, 0.5):
                if message.error() is None:
                    stamps.append(message.timestamp()[1])
                    routed += len(codec.decode("ScrapeTask", message.value())["requests"])
    finally:
        consumer.close()
    return stamps


def run_router(
    settings: Settings, names: TopicNames, prefix: str, distinct: int, timeout: float
) -> tuple[int, float]:
    worker = subprocess.Popen(
        [sys.executable, "-m", "scrapestream.cli", "worker", "streams", "--topic-prefix", prefix],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        stamps = output_timestamps(settings, list(names.tasks.values()), distinct, timeout)
    finally:
        worker.terminate()
        worker.wait(60)
    return distinct, (max(stamps) - min(stamps)) / 1000


def run_faust_noop(prefix: str, count: int, timeout: float) -> tuple[int, float]:
    worker = subprocess.run(
        [sys.executable, __file__, "--noop-agent", prefix, "--requests", str(count)],
        capture_output=True, text=True, timeout=timeout, check=True,
    )  # fmt: skip
    seen, seconds = worker.stdout.split()[-2:]
    return int(seen), float(seconds)


def noop_agent_worker(prefix: str, count: int) -> None:
    """Run a Faust worker whose agent acks `count` requests and nothing else, then print the time.
    On uvloop, as `scrapestream worker streams` runs the router."""
    uvloop.install()
    app = make_app(load_settings(), f"{prefix}bench-noop-{uuid.uuid4().hex[:8]}")
    seen, started = 0, 0.0

    @app.agent(app.topic(TopicNames.prefixed(prefix).requests))
    async def noop(stream: faust.StreamT[bytes]) -> None:
        nonlocal seen, started
        async for events in stream.noack_take(INPUT_BATCH, within=INPUT_WAIT):
            started = started or time.perf_counter()
            for event in events:
                event.ack()
            seen += len(events)
            if seen >= count:
                print(seen, time.perf_counter() - started, file=sys.__stdout__, flush=True)  # not the log
                os.kill(os.getpid(), signal.SIGTERM)

    run_worker(app)


def run_bare(settings: Settings, source: str, target: str, count: int) -> tuple[int, float]:
    consumer = make_consumer(settings, f"bench-bare-{uuid.uuid4().hex[:8]}")
    producer = make_producer(settings, **{"queue.buffering.max.messages": 1_000_000})
    partitions = consumer.list_topics(source, timeout=10).topics[source].partitions
    consumer.assign([TopicPartition(source, partition, 0) for partition in partitions])
    moved, started = 0, time.perf_counter()
    while moved < count:
        for message in consumer.consume(1000, 1.0):
            if message.error() is None:
                producer.produce(target, key=message.key(), value=message.value())
                moved += 1
        producer.poll(0)
    producer.flush(60)
    consumer.commit(asynchronous=False)
    seconds = time.perf_counter() - started
    consumer.close()
    return moved, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50_000)
    parser.add_argument("--duplicates", type=float, default=0.2)
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--noop-agent", metavar="PREFIX", help=argparse.SUPPRESS)  # the faust contender
    args = parser.parse_args()
    if args.noop_agent:
        noop_agent_worker(args.noop_agent, args.requests)
        return
    settings = load_settings()
    prefix = f"bench.streams.{uuid.uuid4().hex[:6]}."
    names = TopicNames.prefixed(prefix)
    create_topics(make_admin(settings), catalog(settings, prefix=prefix))
    try:
        distinct = publish(settings, names, args.requests, args.duplicates)
        router = run_router(settings, names, prefix, distinct, args.timeout)
        noop = run_faust_noop(prefix, args.requests, args.timeout)
        bare = run_bare(settings, names.requests, names.results, args.requests)
    finally:
        delete_topics(settings, prefix)
    router_rate = args.requests / router[1]
    bare_rate = bare[0] / bare[1]
    print(f"{args.requests} requests ({distinct} distinct URLs over {SHOPS} domains)")
    print(f"{'contender':<40} {'seconds':>8} {'requests/s':>11}")
    print(f"{'router worker (decode, dedup, batch, route)':<40} {router[1]:>8.1f} {router_rate:>11,.0f}")
    print(f"{'Faust agent that only acks':<40} {noop[1]:>8.1f} {noop[0] / noop[1]:>11,.0f}")
    print(f"{'bare consume→produce loop (ceiling)':<40} {bare[1]:>8.1f} {bare_rate:>11,.0f}")
    print(f"router / ceiling: {router_rate / bare_rate:.0%}")


if __name__ == "__main__":
    main()
