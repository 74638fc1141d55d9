"""Faults the demo can inject into itself (`scrapestream demo --fault KIND`), to watch the main job
ride them out: the zero-loss summary at the end must still pass.

  scraper, router, fanout   SIGKILL that worker process; supervision restarts it (supervisor.py)
  broker, cassandra         SIGKILL the local server, start it again OUTAGE_SECONDS later

Each fault strikes once, `at` seconds after the first requests were published.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from dataclasses import dataclass

from scrapestream.config import Settings
from scrapestream.demo import FAULT_KINDS
from scrapestream.infra.cassandra_server import CassandraService
from scrapestream.infra.java import JavaService
from scrapestream.infra.kafka_server import KafkaService
from scrapestream.infra.service_process import InfraError
from scrapestream.supervisor import FANOUT, ROUTER, SCRAPER_PREFIX, ProcessGroup

WORKERS = {"scraper": f"{SCRAPER_PREFIX}1", "router": ROUTER, "fanout": FANOUT}  # fault -> process
SERVERS = {"broker": KafkaService, "cassandra": CassandraService}
OUTAGE_SECONDS = 30.0


@dataclass(frozen=True)
class Fault:
    kind: str
    at: float = 3.0

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {self.kind!r}; choose from {', '.join(FAULT_KINDS)}")

    def start(self, settings: Settings, group: ProcessGroup) -> threading.Thread:
        """Strike in a thread of its own, so the demo's progress loop keeps showing what happens."""
        thread = threading.Thread(target=self._strike, args=(settings, group), name="demo-fault", daemon=True)
        thread.start()
        return thread

    def _strike(self, settings: Settings, group: ProcessGroup) -> None:
        time.sleep(self.at)
        if self.kind in WORKERS:
            _say(f"fault: SIGKILL {WORKERS[self.kind]}")
            group.crash(WORKERS[self.kind])
        else:
            _outage(SERVERS[self.kind](settings))


def _outage(service: JavaService) -> None:
    pids = service.pids()
    _say(f"fault: SIGKILL {service.name} (pids {pids}); it comes back in {OUTAGE_SECONDS:.0f} s")
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    time.sleep(OUTAGE_SECONDS)
    if service.pids():  # someone else (`infra up`, a test fixture) started it meanwhile
        _say(f"fault: {service.name} was started again by someone else")
        return
    _say(f"fault: starting {service.name} again")
    try:
        service.wait_ready(service.start())
    except InfraError as error:
        _say(f"fault: {service.name} did not start again: {error} (run `scrapestream infra up`)")
        return
    _say(f"fault: {service.name} is back")


def _say(text: str) -> None:
    print(f"\n!! {text}", file=sys.stderr, flush=True)
