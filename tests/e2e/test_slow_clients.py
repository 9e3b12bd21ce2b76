"""A real server bounds what slow clients can hold: headers dribbled a byte at a time are cut off at the
header timeout (408), and connections beyond the per-worker cap are turned away with 503."""

from __future__ import annotations

import contextlib
import socket
import time

import httpx
import pytest

from adapters.persistence.engine import sqlite_url
from tests.conftest import TEST_SECRET
from tests.e2e.server_process import ServerProcess

pytestmark = pytest.mark.e2e

HEADER_TIMEOUT = 1
MAX_CONNECTIONS = 4


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    var = tmp_path_factory.mktemp("slow")
    process = ServerProcess(
        var,
        sqlite_url(var / "edgefleet.db"),
        TEST_SECRET,
        {"EDGEFLEET_HEADER_TIMEOUT": str(HEADER_TIMEOUT), "EDGEFLEET_MAX_CONNECTIONS": str(MAX_CONNECTIONS)},
    ).start()
    yield process
    process.stop()


def connect(server: ServerProcess) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=5)


def dribble_until_closed(sock: socket.socket, request: bytes, limit: float) -> tuple[float, bytes]:
    """Send one byte every 0.1 s; return when the server closes (time taken, what it answered)."""
    started = time.monotonic()
    sock.settimeout(0.1)
    answer = b""
    for byte in request:
        try:
            sock.sendall(bytes([byte]))
        except OSError:
            break
        with contextlib.suppress(TimeoutError):
            chunk = sock.recv(4096)
            answer += chunk
            if not chunk:
                break
        if time.monotonic() - started > limit:
            break
    return time.monotonic() - started, answer


SLOW_REQUEST = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"a" * 200 + b"\r\n\r\n"


def test_headers_sent_a_byte_at_a_time_are_cut_off_at_the_header_timeout(server):
    with connect(server) as sock:
        took, answer = dribble_until_closed(sock, SLOW_REQUEST, limit=HEADER_TIMEOUT + 4)
    assert took < HEADER_TIMEOUT + 2, f"still open after {took:.1f} s"
    assert answer.startswith(b"HTTP/1.1 408") and b'"code":"REQUEST_TIMEOUT"' in answer


def test_a_second_request_on_a_kept_alive_connection_gets_its_own_header_timeout(server):
    with connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        first = b""
        while not first.endswith(b'{"status":"ok"}'):
            first += sock.recv(4096)
        assert first.startswith(b"HTTP/1.1 200")
        took, answer = dribble_until_closed(sock, SLOW_REQUEST, limit=HEADER_TIMEOUT + 4)
    assert took < HEADER_TIMEOUT + 2 and answer.startswith(b"HTTP/1.1 408")


def test_a_silent_connection_is_closed_at_the_header_timeout(server):
    with connect(server) as sock:
        started = time.monotonic()
        sock.settimeout(HEADER_TIMEOUT + 4)
        answer = sock.recv(4096)
    assert time.monotonic() - started < HEADER_TIMEOUT + 2 and answer.startswith(b"HTTP/1.1 408")


def test_connections_beyond_the_cap_get_503_and_the_cap_frees_up(server):
    held = [connect(server) for _ in range(MAX_CONNECTIONS)]
    try:
        # No wait needed: one worker accepts connections in the order they queued (the kernel's accept
        # queue), so the held ones are counted before the extra one arrives.
        with connect(server) as extra:
            extra.settimeout(2)
            answer = extra.recv(4096)
        assert answer.startswith(b"HTTP/1.1 503") and b"retry-after: " in answer.lower()
        assert b'"code":"SERVICE_UNAVAILABLE"' in answer
    finally:
        for sock in held:
            sock.close()
    deadline = time.monotonic() + 5
    while True:  # closed connections leave the count as soon as the server notices
        response = httpx.get(f"{server.base_url}/healthz", timeout=2)
        if response.status_code == 200 or time.monotonic() > deadline:
            break
    assert response.status_code == 200
