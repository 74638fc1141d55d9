"""Worker health endpoints (scrapestream/health.py) as Kubernetes probes them: real worker processes."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from scrapestream.config import Settings
from scrapestream.infra.service_process import free_port
from tests.integration.pipeline import Worker, prefix_of, private_topics

pytestmark = pytest.mark.integration


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _wait_for(url: str, timeout: float = 90.0) -> tuple[int, bytes]:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return _get(url)
        except OSError:  # not listening yet: the worker is still starting (or recovering)
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


@pytest.mark.parametrize("kind", ["streams", "scraper"])
def test_a_worker_answers_liveness_readiness_and_metrics(stack: Settings, tmp_path: Path, kind: str) -> None:
    port = free_port()
    with private_topics(stack) as names:
        prefix = prefix_of(names)
        env = {"SCRAPESTREAM_HEALTH_PORT": str(port)}
        with Worker(stack, tmp_path, kind, "--topic-prefix", prefix, env=env) as worker:
            base = f"http://127.0.0.1:{port}"
            status, body = _wait_for(base + "/healthz")
            assert (status, json.loads(body)) == (200, {"status": "ok"}), worker.output()
            status, body = _get(base + "/readyz")
            assert (status, json.loads(body)) == (200, {"status": "ready"}), worker.output()
            status, body = _get(base + "/metrics")
            assert status == 200 and b"# TYPE scrapestream_" in body
            worker.stop()
            assert worker.process.returncode == 0, worker.output()
            with pytest.raises(OSError):
                _get(base + "/healthz")
