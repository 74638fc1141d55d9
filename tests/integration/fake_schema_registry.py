"""A minimal HTTP stand-in for a Confluent-compatible schema registry, on 127.0.0.1.

No real registry can be installed here (Confluent's is not on Maven Central, Karapace is not on
PyPI), so this serves the two REST calls the codec makes, letting tests drive confluent_kafka's
real SchemaRegistryClient over HTTP: POST /subjects/<subject>/versions and GET /schemas/ids/<id>.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REGISTER = re.compile(r"/subjects/(?P<subject>[^/?]+)/versions(\?.*)?")
FETCH = re.compile(r"/schemas/ids/(?P<id>\d+)(\?.*)?")


class _Registry:
    def __init__(self) -> None:
        self.schemas: list[str] = []  # id = position + 1
        self.lock = threading.Lock()

    def register(self, schema: str) -> int:
        with self.lock:
            if schema not in self.schemas:
                self.schemas.append(schema)
            return self.schemas.index(schema) + 1


def _handler(registry: _Registry) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            if not REGISTER.fullmatch(self.path):
                return self._reply(404, {"error_code": 404, "message": f"no route {self.path}"})
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            return self._reply(200, {"id": registry.register(body["schema"])})

        def do_GET(self) -> None:
            match = FETCH.fullmatch(self.path)
            schema_id = int(match["id"]) if match else 0
            if not 0 < schema_id <= len(registry.schemas):
                return self._reply(404, {"error_code": 40403, "message": "Schema not found"})
            return self._reply(200, {"schema": registry.schemas[schema_id - 1]})

        def _reply(self, status: int, document: dict) -> None:
            payload = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/vnd.schemaregistry.v1+json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
            pass

    return Handler


@contextmanager
def fake_schema_registry() -> Iterator[str]:
    """Serve a fresh registry on a free loopback port; yields its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(_Registry()))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
