"""Structured logs: one JSON line per request and per downstream failure, and never a secret."""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from support import Simulator, free_port, in_process, settings_for, wait_until

from bff.app import create_app
from bff.logs import REQUEST_LOGGER, RequestIdFilter, json_formatter

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

USERNAME, PASSWORD = "emilys", "emilyspass"


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """This process's log records as the BFF writes them: JSON lines, with the request id
    filter, from every logger at DEBUG (the handler `log_config` installs, on its own)."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(json_formatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield buffer
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def lines(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


async def test_one_line_per_request_and_per_downstream_failure(
    sim: Simulator, json_log: io.StringIO
) -> None:
    sim.faults({"path": "/users/1/todos", "mode": "status", "status": 503})
    app = create_app(settings_for(sim.url))

    async def scenario() -> httpx.Response:
        async with in_process(app) as (client, _):
            return await client.get("/v1/users/1/profile", headers={"X-Request-ID": "req-7"})

    response = await scenario()

    assert response.status_code == 200
    records = lines(json_log)
    (request,) = [line for line in records if line["logger"] == REQUEST_LOGGER]
    assert request["message"] == "GET /v1/users/{user_id}/profile 200"
    assert request["level"] == "INFO"
    assert request["request_id"] == "req-7"
    assert request["route"] == "/v1/users/{user_id}/profile"
    assert request["method"] == "GET"
    assert request["status"] == 200
    assert request["partial"] is True
    assert request["duration_ms"] > 0
    assert request["time"].endswith("+00:00")
    summary = {call["operation"]: call for call in request["downstream"]}
    assert set(summary) == {"users.get", "carts.by_user", "users.posts", "users.todos"}
    assert summary["users.todos"] == {
        "service": "users",
        "operation": "users.todos",
        "outcome": "unavailable",
        "status": 503,
        "attempts": 3,
        "cache": None,
        "duration_ms": summary["users.todos"]["duration_ms"],
    }
    assert summary["users.get"]["outcome"] == "ok"
    (failure,) = [line for line in records if line["logger"] == "clients.downstream"]
    assert failure["level"] == "WARNING"
    assert {key: failure[key] for key in ("request_id", "service", "method", "path")} == {
        "request_id": "req-7",
        "service": "users",
        "method": "GET",
        "path": "/users/1/todos",
    }
    assert (failure["code"], failure["status"], failure["attempts"]) == ("unavailable", 503, 3)
    # Other lines logged during the request carry its id too (the retries, here).
    retries = [line for line in records if line["logger"] == "clients.retry"]
    assert len(retries) == 2
    assert all(line["request_id"] == "req-7" for line in retries)


def test_log_config_makes_every_logger_write_json(tmp_path: Path) -> None:
    """In a fresh process, as ``bff serve`` applies it: uvicorn's loggers included."""
    script = (
        "import logging.config, sys\n"
        "from bff.logs import log_config\n"
        "logging.config.dictConfig(log_config('info', access_log=False))\n"
        "logging.getLogger('uvicorn.error').info('Started server process [%d]', 1,"
        " extra={'color_message': 'colours'})\n"
        "logging.getLogger('clients.breaker').warning('circuit of %s opened', 'users')\n"
        "logging.getLogger('bff.request').info('GET / 200')\n"
        "logging.getLogger('bff.request').warning('GET / 502')\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=tmp_path
    )

    records = [json.loads(line) for line in output.stdout.splitlines()]
    assert [(line["logger"], line["message"]) for line in records] == [
        ("uvicorn.error", "Started server process [1]"),
        ("clients.breaker", "circuit of users opened"),
        ("bff.request", "GET / 502"),  # without the access log, only answers >= 500
    ]
    assert "color_message" not in records[0]
    assert output.stderr == ""


def test_no_password_or_token_is_ever_logged(
    sim: Simulator, http_transport: str, tmp_path: Path
) -> None:
    """A real ``bff serve`` at debug level: log in (the downstream also sets the tokens as
    cookies), fail a call that carries the token, use and refresh the tokens; the whole output
    is JSON and holds none of the secrets."""
    port = free_port()
    log_path = tmp_path / "bff.log"
    env = {
        **os.environ,
        "BFF_DOWNSTREAM_URL": sim.url,
        "BFF_LOG_LEVEL": "debug",
        "BFF_HTTP_TRANSPORT": http_transport,
        "BFF_RETRY_BACKOFF_BASE": "0.001",
    }
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "bff.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,  # no .env of the developer's
            env=env,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            assert wait_until(lambda: _answers(f"{base}/openapi.json"), within=30), "no server"
            with httpx.Client(base_url=base, timeout=30) as bff:
                secrets = _use_secrets(bff, sim)
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=30)

    output = log_path.read_text()
    records = [json.loads(line) for line in output.splitlines()]
    routes = {line.get("route") for line in records if line["logger"] == REQUEST_LOGGER}
    assert {"/v1/auth/login", "/v1/auth/refresh", "/v1/me"} <= routes
    assert any(line["logger"] == "clients.downstream" for line in records)
    for secret in secrets:
        assert secret not in output
    assert "Bearer" not in output


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _use_secrets(bff: httpx.Client, sim: Simulator) -> list[str]:
    wrong = bff.post("/v1/auth/login", json={"username": USERNAME, "password": "not-" + PASSWORD})
    assert wrong.status_code == 401, wrong.text
    login = bff.post("/v1/auth/login", json={"username": USERNAME, "password": PASSWORD})
    assert login.status_code == 200, login.text
    access, refresh = login.json()["accessToken"], login.json()["refreshToken"]
    bearer = {"Authorization": f"Bearer {access}"}
    sim.faults({"path": "/auth/me", "mode": "status", "status": 503})
    assert bff.get("/v1/me", headers=bearer).status_code == 502
    sim.clear()
    assert bff.get("/v1/me", headers=bearer).status_code == 200
    refreshed = bff.post("/v1/auth/refresh", json={"refreshToken": refresh})
    assert refreshed.status_code == 200, refreshed.text
    # The token's signature is the part that must never leak; the header and payload are
    # base64 of public JSON that other tokens share.
    return [
        PASSWORD,
        access,
        refresh,
        access.rsplit(".", 1)[-1],
        refresh.rsplit(".", 1)[-1],
        refreshed.json()["accessToken"],
        refreshed.json()["refreshToken"],
    ]
