"""HTTP/1.1 pipelining against a real uvicorn BFF, with both of uvicorn's HTTP parsers.

Two requests in one write on a keep-alive connection, the first one slow: the server must answer
both, in order, without the protocol error old uvicorn versions raised here (h11's
``LocalProtocolError: Can't send data when our state is SEND_RESPONSE``).
"""

from __future__ import annotations

import json
import logging
import socket

import h11
import pytest
from support import Simulator, settings_for

from bff.app import create_app
from simulator import BackgroundServer

pytestmark = pytest.mark.integration

SLOW_MS = 300


class _Collect(logging.Handler):
    """Keeps the warnings and errors uvicorn logs (a protocol error, an ASGI exception)."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _request(path: str, request_id: str) -> bytes:
    return (f"GET {path} HTTP/1.1\r\nHost: bff.test\r\nX-Request-ID: {request_id}\r\n\r\n").encode()


def _read_responses(conn: socket.socket, count: int) -> list[tuple[h11.Response, bytes]]:
    """Parse ``count`` responses off one connection, strictly (h11 rejects bad framing)."""
    parser = h11.Connection(h11.CLIENT)
    answers: list[tuple[h11.Response, bytes]] = []
    while len(answers) < count:
        # h11 reads responses only to requests it sent: replay one per expected response.
        parser.send(h11.Request(method="GET", target="/", headers=[("Host", "bff.test")]))
        parser.send(h11.EndOfMessage())
        head: h11.Response | None = None
        body = bytearray()
        while True:
            event = parser.next_event()
            if event is h11.NEED_DATA:
                data = conn.recv(65536)
                assert data, "the server closed the connection before answering both"
                parser.receive_data(data)
            elif isinstance(event, h11.Response):
                head = event
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                break
        assert head is not None
        answers.append((head, bytes(body)))
        parser.start_next_cycle()
    return answers


@pytest.mark.parametrize("http_impl", ["httptools", "h11"])
def test_two_pipelined_requests_both_get_answers_in_order(sim: Simulator, http_impl: str) -> None:
    sim.faults({"path": "/users/1", "mode": "delay", "delay_ms": SLOW_MS})
    app = create_app(settings_for(sim.url))

    collector = _Collect()
    with BackgroundServer(app, http=http_impl) as server:
        # Added once uvicorn has configured its logging, which would otherwise drop it.
        logging.getLogger("uvicorn.error").addHandler(collector)
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=15) as conn:
                conn.sendall(
                    _request("/v1/users/1/profile", "slow-first")
                    + _request("/v1/users/2/profile", "fast-second")
                )
                answers = _read_responses(conn, 2)
        finally:
            logging.getLogger("uvicorn.error").removeHandler(collector)

    (first, first_body), (second, second_body) = answers
    assert (first.status_code, second.status_code) == (200, 200)
    assert dict(first.headers)[b"x-request-id"] == b"slow-first"
    assert dict(second.headers)[b"x-request-id"] == b"fast-second"
    assert json.loads(first_body)["user"]["id"] == 1
    assert json.loads(second_body)["user"]["id"] == 2
    assert sim.route_count("/users/{id}") == 2
    assert not collector.records, [record.getMessage() for record in collector.records]
