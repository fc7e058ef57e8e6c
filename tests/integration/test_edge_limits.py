"""Limits at the door, on a real ``bff serve`` over real sockets, measured on its memory.

Huge bodies are answered 413 before they are read (declared or chunked, before the admin token
is even looked at), and endless headers 431 after the header limit; the server's RSS barely
moves. The client streams what it sends chunk by chunk and stops when the server answers, so the
test never holds a whole body either.
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator

import httpx
import pytest
from serve_support import Answer, MiB, Served, bff_serve, send_until_answered

from simulator import BackgroundServer

pytestmark = pytest.mark.integration

CHUNK = b"x" * (256 * 1024)


@pytest.fixture(scope="module")
def served(
    simulator_server: BackgroundServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("edge")
    # At debug level, for the log test below: one server for the module (a start costs seconds).
    with bff_serve(
        simulator_server.url, tmp, admin_token="the-admin-token", log_level="debug"
    ) as server:
        yield server


def _connect(served: Served) -> socket.socket:
    return socket.create_connection(("127.0.0.1", served.port), timeout=10)


def _assert_refused(answer: Answer, status: int) -> dict[str, object]:
    assert answer.status == status, answer.head
    assert answer.header("content-type") == "application/problem+json"
    assert answer.header("connection") == "close"
    body: dict[str, object] = json.loads(answer.body)
    assert body["status"] == status
    return body


@pytest.mark.parametrize(
    ("path", "size", "chunked"),
    [
        pytest.param("/v1/auth/login", 300 * MiB, False, id="login-300MB-content-length"),
        pytest.param("/admin/cache/purge", 100 * MiB, False, id="purge-100MB-content-length"),
        pytest.param("/admin/cache/purge", 100 * MiB, True, id="purge-100MB-chunked"),
    ],
)
def test_a_huge_body_is_refused_before_it_is_read(
    served: Served, path: str, size: int, chunked: bool
) -> None:
    rss_before = served.rss_bytes()
    framing = b"Transfer-Encoding: chunked" if chunked else b"Content-Length: %d" % size
    head = (
        b"POST %s HTTP/1.1\r\nHost: bff\r\nContent-Type: application/json\r\n"
        b"Authorization: Bearer not-the-token\r\n%s\r\n\r\n" % (path.encode(), framing)
    )
    chunk = b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK) if chunked else CHUNK
    with _connect(served) as sock:
        answer = send_until_answered(sock, head, chunk, size)
    body = _assert_refused(answer, 413)
    assert body["type"] == "urn:bff:problem:content-too-large"
    growth = served.rss_bytes() - rss_before
    print(
        f"{path} {size // MiB} MB (chunked={chunked}): sent {answer.sent / MiB:.1f} MB before "
        f"the 413; RSS growth {growth / MiB:.1f} MB"
    )
    assert answer.sent < size / 4, "the server read far into the body before answering"
    assert growth < 20 * MiB
    # The server is fine afterwards, and the connection it closed is gone.
    assert httpx.get(served.url + "/healthz", timeout=5).status_code == 200


def test_endless_headers_on_a_hundred_connections_are_refused_at_the_limit(served: Served) -> None:
    total = 10 * MiB
    rss_before = served.rss_bytes()
    peak = rss_before
    socks = [_connect(served) for _ in range(100)]
    answers: list[Answer] = []
    try:
        # Every connection first gets the start of its header, so all 100 are open and partly
        # read at once; then each streams its 10 MB header value until the server refuses it.
        for sock in socks:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: bff\r\nX-Big: ")
        for sock in socks:
            answers.append(send_until_answered(sock, b"", b"a" * 65536, total))
            peak = max(peak, served.rss_bytes())
    finally:
        for sock in socks:
            sock.close()
    for answer in answers:
        body = _assert_refused(answer, 431)
        assert body["type"] == "urn:bff:problem:request-header-fields-too-large"
        assert answer.sent < total  # refused long before the end (kernel buffers took the rest)
    growth = peak - rss_before
    print(
        f"100 x 10 MB headers: at most {max(a.sent for a in answers) / 1024:.0f} KiB sent on "
        f"one connection before the 431; peak RSS growth {growth / MiB:.1f} MB"
    )
    assert growth < 50 * MiB
    assert httpx.get(served.url + "/healthz", timeout=5).status_code == 200
    metrics = httpx.get(served.ops_url + "/metrics", timeout=5).text
    refused = re.search(r'^bff_edge_refused_total\{reason="header_size"\} (\S+)$', metrics, re.M)
    assert refused, metrics
    assert float(refused[1]) >= 100


def test_too_many_headers_are_refused(served: Served) -> None:
    headers = b"".join(b"X-H%d: 1\r\n" % i for i in range(150))
    with _connect(served) as sock:
        answer = send_until_answered(
            sock, b"GET /healthz HTTP/1.1\r\nHost: bff\r\n" + headers + b"\r\n", b"", 0
        )
    _assert_refused(answer, 431)


def test_a_body_within_the_limit_is_served(served: Served) -> None:
    response = httpx.post(
        served.url + "/v1/auth/login",
        json={"username": "emilys", "password": "emilyspass"},
        timeout=10,
    )
    assert response.status_code == 200
    assert response.headers.get("connection") != "close"


def test_no_log_line_holds_a_query_string_or_search_text(served: Served) -> None:
    """At debug level, whatever the request: answered, refused, redirected, malformed. (The
    module's server: its whole output so far is checked, whatever the other tests sent.)"""
    needle = "needle-7f3a"
    with httpx.Client(base_url=served.url, timeout=10) as client:
        client.get("/v1/search", params={"q": needle})
        client.head("/v1/search", params={"q": needle})
        client.get("/v1/search", params={"q": needle + "\x00"})
        client.get("/v1/home/", params={"q": needle})
        client.get("/v1/nowhere", params={"q": needle})
        client.get(f"/v1/users/{needle}/profile", params={"q": needle})
        client.post("/v1/auth/login", params={"q": needle}, content=b"x" * 10_000)
    with _connect(served) as sock:
        head = b"GET /v1/search?q=%s HTTP/1.1\r\nX-Big: " % needle.encode()
        send_until_answered(sock, head, b"a" * 65536, 1 * MiB)
    output = served.output()
    assert "GET /v1/search 200" in output  # the request lines are there...
    assert needle not in output  # ...and the search text is not
