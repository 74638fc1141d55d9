"""Many concurrent /v1/updates streams on one gateway process: delivery latency, RSS, CPU, slow clients.

Run: .venv/bin/python bench/subscribers_bench.py [--subscribers 1000,10000] [--rate 10] [--seconds 120]
     [--slow 5] [--client-processes 4] [--gateway-core N]

Needs the local Kafka (`scrapestream infra up`); everything runs on loopback and stops by itself.
The catalog's topics are created under a private prefix (bench.<random>.) and deleted at the end.

For each subscriber count, in one run (the first is the baseline):
1. A gateway process of its own (`scrapestream gateway --topic-prefix ...` on a free loopback port).
2. --client-processes processes open the subscribers' streams between them (bare asyncio
   connections, no filter: every client gets every update), a few at a time so the listen backlog
   never overflows. Then --slow clients connect that read the first line and nothing more (a 4 KiB
   receive buffer). Their socket and the gateway's write buffers hold ~800 updates before a write
   blocks, so at 10 updates/s they are dropped after about 90 s: hence the default of 120 s.
3. This process publishes ProductUpdates onto the prefixed product.updates at --rate per second
   for --seconds, through the pipeline's producer settings and codec. Each update's updated_at is
   the wall clock when it is handed to the producer: the moment the fan-out would publish it,
   right after storing the product. A client takes receipt time - updated_at as the delivery's
   latency (whole milliseconds, the schema's precision), so latency covers producer, broker,
   the gateway's reader, its fan-out and the loopback socket.
4. Up to DRAIN_LIMIT seconds for the last deliveries (what has not arrived then is "missed"),
   then the clients report. Gateway RSS and CPU come from /proc/<pid>, slow-client drops from
   the gateway's own /metrics.

--gateway-core N gives the gateway CPU core N to itself, as a gateway serving remote subscribers
has: it is pinned to core N, and this process, the client processes and the local Kafka broker to
the other cores for the run (the broker's affinity is restored at the end). Without it everything
shares every core, and on a small machine 10,000 client streams compete with the gateway they
measure.

Open file descriptors: the gateway needs one per stream, so this process raises its soft
RLIMIT_NOFILE to the hard limit (inherited by the gateway and the clients) and stops with a
message if the hard limit is too low for the largest count (docs/operations.md).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import multiprocessing
import os
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from multiprocessing.sharedctypes import SynchronizedArray
from pathlib import Path
from typing import Any

from schemas.codec import Codec
from scrapestream.config import Settings, load_settings
from scrapestream.demo.report import show_status
from scrapestream.infra.service_process import cpu_seconds, free_port
from scrapestream.infra.stack import java_pids
from scrapestream.kafka import make_admin, make_producer
from scrapestream.topics import TopicNames, catalog, create_topics

API_KEY = "bench-subscribers-key"
# Connection: close, so that a refusal (a 503 with a JSON body) ends the connection too.
STREAM_REQUEST = (
    f"GET /v1/updates HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: {API_KEY}\r\nConnection: close\r\n\r\n"
).encode()
CONNECTING_AT_ONCE = 24  # per client process: a few dozen handshakes in flight stay within the backlog
FDS_BESIDES_STREAMS = 256  # the gateway's Kafka, Cassandra and log descriptors, with room to spare
DRAIN_LIMIT = 60.0
# Per client process, in a shared array: streams open, updates received, streams ended, failed to open.
OPEN, RECEIVED, ENDED, FAILED = range(4)
SLOTS = 4


# -- figures --------------------------------------------------------------------------------
def percentile(counts: Mapping[int, int], fraction: float) -> int:
    """The smallest value with at least `fraction` of all counted values at or below it."""
    total = sum(counts.values())
    if not total:
        raise ValueError("no values counted")
    wanted = fraction * total
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        if seen >= wanted:
            return value
    raise AssertionError("unreachable: the counts add up to the total")


def memory_mib(pid: int) -> tuple[float, float]:
    """(resident now, peak resident) of a process, in MiB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def waited_seconds(pid: int) -> float:
    """How long the process's main thread (the gateway's event loop) was runnable but had no core."""
    return int(Path(f"/proc/{pid}/task/{pid}/schedstat").read_text().split()[1]) / 1e9


def raise_fd_limit(needed: int) -> int:
    """Raise this process's soft RLIMIT_NOFILE to its hard limit; SystemExit if that is below `needed`."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if hard < needed:
        raise SystemExit(
            f"the hard limit on open files is {hard}, the gateway needs about {needed}: raise it "
            f"(`ulimit -Hn {needed}` as root, LimitNOFILE= for a service; docs/operations.md)"
        )
    return hard


# -- the subscribers (client processes) -------------------------------------------------------
def subscribers(
    port: int, count: int, index: int, status: SynchronizedArray, stop: Any, results: Any
) -> None:
    """`count` streams from the gateway on `port` until `stop` is set; puts (latency ms -> deliveries,
    end reasons)."""
    results.put(asyncio.run(_subscribe(port, count, status, index * SLOTS, stop)))


class StreamReader(asyncio.Protocol):
    """One subscriber on a bare asyncio connection: the instrument should cost far less CPU than the
    gateway it measures (an aiohttp client per stream took most of a core at 10,000). Events are
    found in the raw body: each of the gateway's writes is one HTTP chunk holding whole events, so
    the chunk-size lines only ever sit between events."""

    def __init__(self, latencies: Counter[int], endings: Counter[str], status: SynchronizedArray, base: int):
        self.latencies, self.endings, self.status, self.base = latencies, endings, status, base
        self.connected: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.rest = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        transport.write(STREAM_REQUEST)  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        received_ms = time.time() * 1000
        *blocks, self.rest = (self.rest + data).split(b"\n\n")
        for block in blocks:
            if not self.connected.done():
                status_line = block.split(b"\r\n", 1)[0].decode(errors="replace")
                self.connected.set_result(status_line if b" 200 " not in block[:16] else "")
                continue
            event = block[block.find(b"event: ") :]
            if event.startswith(b"event: update"):
                self.latencies[round(received_ms - stored_ms(event))] += 1
                self.status[self.base + RECEIVED] += 1
            elif event.startswith(b"event: close"):
                self.endings[event.decode().split("data: ", 1)[1]] += 1

    def connection_lost(self, error: Exception | None) -> None:
        if not self.connected.done():
            self.connected.set_result(f"connection lost: {error}")
        if not self.closed.done():
            self.closed.set_result(None)


async def _subscribe(
    port: int, count: int, status: SynchronizedArray, base: int, stop: Any
) -> tuple[Counter[int], Counter[str]]:
    latencies: Counter[int] = Counter()
    endings: Counter[str] = Counter()
    connecting = asyncio.Semaphore(CONNECTING_AT_ONCE)
    loop = asyncio.get_running_loop()

    async def stream() -> None:
        reader = None
        try:
            async with connecting:
                _, reader = await loop.create_connection(
                    lambda: StreamReader(latencies, endings, status, base), "127.0.0.1", port
                )
                refused = await reader.connected  # after the headers and ": connected"
                if refused:
                    status[base + FAILED] += 1
                    endings[refused] += 1
                    return
                status[base + OPEN] += 1
            await reader.closed
            endings["stream ended"] += 1
        except OSError as error:
            endings[type(error).__name__] += 1
        finally:
            if reader is not None and reader.transport is not None:
                reader.transport.close()
        status[base + ENDED] += 1

    tasks = [asyncio.create_task(stream()) for _ in range(count)]
    while not stop.is_set():
        await asyncio.sleep(0.2)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return latencies, endings


def stored_ms(event: bytes) -> float:
    """updated_at of one SSE update event, as milliseconds since the epoch."""
    start = event.index(b'"updated_at": "') + len(b'"updated_at": "')
    text = event[start : event.index(b'"', start)].decode()
    return datetime.fromisoformat(text).timestamp() * 1000


def stalled_client(port: int) -> socket.socket:
    """A subscriber that reads its stream's first line and then never reads again."""
    sock = socket.socket()
    sock.settimeout(60)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.sendall(STREAM_REQUEST)
    received = b""
    while b": connected" not in received:
        received += sock.recv(1024)
    return sock


# -- the gateway ------------------------------------------------------------------------------
@contextlib.contextmanager
def gateway(prefix: str, log: Path, core: int | None) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    port = free_port()
    env = {
        **os.environ,
        "SCRAPESTREAM_GATEWAY_PORT": str(port),
        "SCRAPESTREAM_GATEWAY_API_KEYS": API_KEY,
    }
    command = [sys.executable, "-m", "scrapestream.cli", "gateway", "--topic-prefix", prefix]
    if core is not None:  # pinned before it starts, so every thread it makes is pinned too
        command = ["taskset", "--cpu-list", str(core), *command]
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 60
        while not healthy(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the gateway did not start: see {log}")
            time.sleep(0.2)
        yield process, port
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def cores_apart(settings: Settings, core: int | None) -> Iterator[None]:
    """With `core`: this process (so the clients it starts) and the local broker leave that core to
    the gateway for the block; the broker gets its own affinity back afterwards."""
    if core is None:
        yield
        return
    others = os.sched_getaffinity(0) - {core}
    if not others:
        raise SystemExit(f"--gateway-core {core}: no other core would be left for the clients")
    broker = java_pids(settings).get("kafka")
    threads = [int(task.name) for task in Path(f"/proc/{broker}/task").iterdir()] if broker else []
    before = {thread: os.sched_getaffinity(0) for thread in threads}
    os.sched_setaffinity(0, others)
    for thread in threads:  # affinity is per thread: every one of the JVM's
        _pin(thread, others, before)
    try:
        yield
    finally:
        for thread, cores in before.items():
            _pin(thread, cores)


def _pin(thread: int, cores: set[int], before: dict[int, set[int]] | None = None) -> None:
    """Set a thread's cores (noting its old ones in `before`); a thread that ended is skipped."""
    with contextlib.suppress(OSError):
        if before is not None:
            before[thread] = os.sched_getaffinity(thread)
        os.sched_setaffinity(thread, cores)


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def gateway_metric(port: int, name: str) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=120) as response:
        for line in response.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    return 0.0


# -- the publisher ----------------------------------------------------------------------------
def product_update(number: int) -> dict[str, Any]:
    return {
        "product_id": f"bench.example:p{number % 1000}",
        "domain": "bench.example",
        "changes": ["PRICE"],
        "old_price": {"amount_minor": 1000 + number % 100, "currency": "EUR"},
        "new_price": {"amount_minor": 1001 + number % 100, "currency": "EUR"},
        "old_availability": "IN_STOCK",
        "new_availability": "IN_STOCK",
        "version": number + 2,
        "updated_at": datetime.now(UTC),
    }


# -- one subscriber count -----------------------------------------------------------------------
@dataclasses.dataclass
class Row:
    subscribers: int
    connect_seconds: float
    published: int
    latencies: Counter[int]
    endings: Counter[str]
    received: int
    window: float  # seconds from the first update published to the end of the drain
    gateway_cpu: float  # CPU seconds in the window
    gateway_waited: float  # seconds in the window its event loop was runnable but had no core
    clients_cpu: float  # CPU seconds of all client processes in the window
    rss_idle: float
    rss_connected: float
    rss_peak: float
    dropped: int
    load: tuple[float, float]  # 1-minute load average at the start and at the end of the phase


def run_phase(
    settings: Settings, names: TopicNames, prefix: str, count: int, args: argparse.Namespace
) -> Row:
    spawn = multiprocessing.get_context("spawn")
    load_before = os.getloadavg()[0]
    log = settings.logs_dir / f"subscribers-bench-{prefix.rstrip('.')}.log"
    with gateway(prefix, log, args.gateway_core) as (
        process,
        port,
    ):
        rss_idle = memory_mib(process.pid)[0]
        status = spawn.Array("q", SLOTS * args.client_processes, lock=False)
        stop, results = spawn.Event(), spawn.Queue()
        shares = [
            count // args.client_processes + (i < count % args.client_processes)
            for i in range(args.client_processes)
        ]
        clients = [
            spawn.Process(target=subscribers, args=(port, share, i, status, stop, results), daemon=True)
            for i, share in enumerate(shares)
        ]
        for client in clients:
            client.start()
        started = time.monotonic()
        while total(status, OPEN) + total(status, FAILED) < count:
            show_status(
                f"{count:,} subscribers: {total(status, OPEN):,} open, {total(status, FAILED)} failed"
            )
            if time.monotonic() - started > 300:
                raise SystemExit("the subscribers did not connect within 300 s")
            time.sleep(1)
        connect_seconds = time.monotonic() - started
        slow = [stalled_client(port) for _ in range(args.slow)]
        rss_connected = memory_mib(process.pid)[0]
        watched = [process.pid, *(client.pid for client in clients)]
        cpu_before = [cpu_seconds(pid) for pid in watched]
        waited_before = waited_seconds(process.pid)
        window = time.monotonic()
        published = publish(settings, names.updates, count, args, process.pid, status)
        drain(count * published, status, window + args.seconds + DRAIN_LIMIT)
        window = time.monotonic() - window
        cpu = [cpu_seconds(pid) - before for pid, before in zip(watched, cpu_before, strict=True)]
        waited = waited_seconds(process.pid) - waited_before
        dropped = int(gateway_metric(port, "scrapestream_update_stream_dropped_total"))
        rss_peak = memory_mib(process.pid)[1]
        stop.set()
        outcomes = [results.get(timeout=120) for _ in clients]
        for client in clients:
            client.join(30)
        for sock in slow:
            sock.close()
    return Row(
        subscribers=count,
        connect_seconds=connect_seconds,
        published=published,
        latencies=sum((latencies for latencies, _ in outcomes), Counter()),
        endings=sum((endings for _, endings in outcomes), Counter()),
        received=total(status, RECEIVED),
        window=window,
        gateway_cpu=cpu[0],
        gateway_waited=waited,
        clients_cpu=sum(cpu[1:]),
        rss_idle=rss_idle,
        rss_connected=rss_connected,
        rss_peak=rss_peak,
        dropped=dropped,
        load=(load_before, os.getloadavg()[0]),
    )


def total(status: SynchronizedArray, slot: int) -> int:
    return sum(status[slot::SLOTS])


def publish(
    settings: Settings,
    topic: str,
    count: int,
    args: argparse.Namespace,
    gateway_pid: int,
    status: SynchronizedArray,
) -> int:
    """Updates at args.rate per second for args.seconds (update i at start + i/rate), with a status
    line every second; returns how many were published."""
    codec = Codec.for_settings(settings)
    producer = make_producer(settings)
    received_before = total(status, RECEIVED)
    cpu_before = cpu_seconds(gateway_pid)
    started = time.monotonic()
    published = 0
    next_status = started + 1
    while (now := time.monotonic()) < started + args.seconds:
        due = int((now - started) * args.rate) + 1
        for number in range(published, due):
            update = product_update(number)
            producer.produce(topic, codec.encode("ProductUpdate", update), key=update["product_id"].encode())
        published = max(published, due)
        producer.poll(0)
        if now >= next_status:
            next_status += 1
            cpu = (cpu_seconds(gateway_pid) - cpu_before) / (now - started) * 100
            show_status(
                f"{count:,} subscribers, {now - started:4.0f} s: {published:,} published, "
                f"{total(status, RECEIVED) - received_before:,} of {published * count:,} deliveries, "
                f"gateway {memory_mib(gateway_pid)[0]:,.0f} MiB {cpu:.0f} % CPU, "
                f"{total(status, ENDED)} streams ended, load {os.getloadavg()[0]:.1f}"
            )
        time.sleep(max(0.0, started + published / args.rate - time.monotonic()))
    if producer.flush(30):
        raise SystemExit("the broker did not acknowledge every update within 30 s")
    return published


def drain(expected: int, status: SynchronizedArray, deadline: float) -> None:
    """Wait until the subscribers received `expected` updates, or until `deadline` (monotonic)."""
    while (received := total(status, RECEIVED)) < expected and time.monotonic() < deadline:
        show_status(f"draining: {received:,} of {expected:,} deliveries, load {os.getloadavg()[0]:.1f}")
        time.sleep(0.5)


def print_table(rows: list[Row], args: argparse.Namespace) -> None:
    print(
        f"\n{args.rate:g} updates/s for {args.seconds:g} s to every subscriber, {args.slow} stalled clients, "
        f"{args.client_processes} client processes; latency = updated_at -> received; CPU % of one core "
        "and CPU µs per delivery over publishing + drain; waited: share of that time the gateway's "
        "event loop was runnable but had no core; RSS in MiB; load = 1-minute load average"
    )
    print(
        f"{'subscribers':>11} {'connect s':>9} {'deliveries':>11} {'missed':>7} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'max ms':>7} {'gw CPU %':>8} {'waited %':>8} {'µs/deliv':>8} {'clients %':>9} {'RSS idle':>8} "
        f"{'RSS open':>8} {'RSS peak':>8} {'dropped':>8} {'load':>9}"
    )
    for row in rows:
        missed = row.published * row.subscribers - row.received
        p50, p99 = (percentile(row.latencies, f) for f in (0.5, 0.99)) if row.latencies else (-1, -1)
        print(
            f"{row.subscribers:>11,} {row.connect_seconds:>9.1f} {row.received:>11,} {missed:>7,} {p50:>7} "
            f"{p99:>7} {max(row.latencies, default=-1):>7} {row.gateway_cpu / row.window * 100:>8.0f} "
            f"{row.gateway_waited / row.window * 100:>8.0f} "
            f"{row.gateway_cpu / max(row.received, 1) * 1e6:>8.1f} "
            f"{row.clients_cpu / row.window * 100:>9.0f} {row.rss_idle:>8.0f} {row.rss_connected:>8.0f} "
            f"{row.rss_peak:>8.0f} "
            f"{row.dropped:>3} of {args.slow:<2} {row.load[0]:>4.1f}-{row.load[1]:<4.1f}"
        )
    for row in rows:
        if row.endings:
            print(f"{row.subscribers:,} subscribers, streams ended: {dict(row.endings)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--subscribers",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[1000, 10_000],
        help="comma-separated subscriber counts, one gateway each (the first is the baseline)",
    )
    parser.add_argument("--rate", type=float, default=10.0, help="updates published per second")
    parser.add_argument("--seconds", type=float, default=120.0, help="how long updates are published")
    parser.add_argument("--slow", type=int, default=5, help="stalled clients, to be dropped")
    parser.add_argument("--client-processes", type=int, default=4)
    parser.add_argument("--gateway-core", type=int, help="a CPU core for the gateway alone (see above)")
    args = parser.parse_args()

    limit = raise_fd_limit(max(args.subscribers) + args.slow + FDS_BESIDES_STREAMS)
    print(
        f"open files: {limit} (hard limit), net.core.somaxconn: "
        f"{Path('/proc/sys/net/core/somaxconn').read_text().strip()}"
    )
    settings = load_settings()
    prefix = f"bench.{uuid.uuid4().hex[:8]}."
    topics = catalog(settings, prefix=prefix)
    admin = make_admin(settings)
    create_topics(admin, topics)
    try:
        with cores_apart(settings, args.gateway_core):
            rows = [
                run_phase(settings, TopicNames.prefixed(prefix), prefix, count, args)
                for count in args.subscribers
            ]
    finally:
        for future in admin.delete_topics([topic.name for topic in topics], operation_timeout=30).values():
            future.result(30)
    print_table(rows, args)


if __name__ == "__main__":
    main()
