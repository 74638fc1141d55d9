"""free_port hands out ports outside the kernel's ephemeral range, each once, none in use."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from scrapestream.infra import service_process
from scrapestream.infra.service_process import LOWEST_FREE_PORT, first_ephemeral_port, free_port


def test_ports_are_below_the_ephemeral_range_and_never_handed_out_twice() -> None:
    # An OS-picked port could be taken meanwhile as the local port of an outgoing connection.
    ports = [free_port() for _ in range(200)]
    assert all(LOWEST_FREE_PORT <= port < first_ephemeral_port() for port in ports)
    assert len(set(ports)) == len(ports)


@pytest.fixture
def listening() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server.getsockname()[1]


def test_a_port_in_use_is_skipped(listening: int, monkeypatch: pytest.MonkeyPatch) -> None:
    picks: list[int] = []
    pick_at_random = service_process.random.randrange

    def pick(low: int, high: int) -> int:
        picks.append(listening if not picks else pick_at_random(low, high))
        return picks[-1]

    monkeypatch.setattr(service_process.random, "randrange", pick)
    port = free_port()
    assert picks[0] == listening and port == picks[-1] != listening
