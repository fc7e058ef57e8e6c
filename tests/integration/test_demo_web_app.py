"""``bff demo`` (what ``make run`` starts) serves the example web app from an origin of its own
and lets that origin call the BFF: the committed app, no npm at run time."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
from support import free_port, wait_until


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_demo_serves_the_web_app_on_an_allowed_origin(tmp_path: Path) -> None:
    port, simulator_port, web_port = free_port(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BFF_")}
    command = [
        *(sys.executable, "-m", "bff.cli", "demo", "--host", "127.0.0.1", "--no-access-log"),
        *("--port", str(port), "--simulator-port", str(simulator_port)),
        *("--web-port", str(web_port)),
    ]
    with (tmp_path / "demo.log").open("w") as log:
        demo = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path, env=env
        )
        try:
            bff, web = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{web_port}"
            assert wait_until(lambda: _answers(f"{bff}/healthz"), within=30), "no BFF"
            page = httpx.get(f"{web}/", timeout=10)
            script = httpx.get(f"{web}/js/main.js", timeout=10)
            vendored = httpx.get(f"{web}/vendor/openapi-fetch.mjs", timeout=10)
            missing = httpx.get(f"{web}/favicon.ico", timeout=10)
            allowed = {
                origin: httpx.get(f"{bff}/v1/home", headers={"Origin": origin}, timeout=10)
                for origin in (web, f"http://localhost:{web_port}", "http://127.0.0.1:1")
            }
        finally:
            demo.send_signal(signal.SIGINT)
            demo.wait(timeout=30)

    output = (tmp_path / "demo.log").read_text()
    assert f"example web app:             {web}/?bff={bff}" in output
    assert page.status_code == 200
    assert '<script type="module" src="js/main.js">' in page.text
    assert script.status_code == vendored.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert missing.status_code == 404
    assert [r.headers.get("access-control-allow-origin") for r in allowed.values()] == [
        web,
        f"http://localhost:{web_port}",
        None,
    ]
