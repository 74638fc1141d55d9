"""Encode+decode rate of a ScrapeResult with a full Product: our codec vs bare fastavro vs JSON.

Run: .venv/bin/python bench/codec_bench.py [--seconds 1.0] [--repeats 5]

Bare fastavro is schemaless_writer/reader on the same pre-parsed schema with no framing, the
ceiling our codec can reach; the goal is codec/bare >= 0.80. JSON uses the same record with the
UUIDs and timestamps as strings (JSON has no such types).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from io import BytesIO

from fastavro import schemaless_reader, schemaless_writer

from schemas.codec import Codec
from schemas.loader import load_current
from schemas.samples import scrape_result


def ops_per_second(round_trip: Callable[[], object], seconds: float, repeats: int) -> float:
    """Best of `repeats` timed runs of about `seconds` each (best = least disturbed by other load)."""
    batch = 200
    best = 0.0
    for _ in range(repeats):
        done, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < seconds:
            for _ in range(batch):
                round_trip()
            done += batch
        best = max(best, done / elapsed)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="length of one timed run")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per contender; the best counts")
    args = parser.parse_args()

    record = scrape_result()
    codec = Codec()
    parsed = load_current("ScrapeResult").parsed
    json_record = json.loads(json.dumps(record, default=str))

    def bare_encode() -> bytes:
        out = BytesIO()
        schemaless_writer(out, parsed, record)
        return out.getvalue()

    contenders = {
        "scrapestream codec": (
            lambda: codec.decode("ScrapeResult", codec.encode("ScrapeResult", record)),
            codec.encode("ScrapeResult", record),
        ),
        "bare fastavro": (lambda: schemaless_reader(BytesIO(bare_encode()), parsed), bare_encode()),
        "json dumps/loads": (lambda: json.loads(json.dumps(json_record)), json.dumps(json_record).encode()),
    }
    rates = {name: ops_per_second(trip, args.seconds, args.repeats) for name, (trip, _) in contenders.items()}

    print(f"{'encode+decode ScrapeResult':<28}{'ops/s':>10}{'bytes':>8}{'vs bare':>9}")
    for name, (_, payload) in contenders.items():
        print(f"{name:<28}{rates[name]:>10,.0f}{len(payload):>8}{rates[name] / rates['bare fastavro']:>9.2f}")


if __name__ == "__main__":
    main()
