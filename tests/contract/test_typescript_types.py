"""The TypeScript types frontends import are generated from the committed contract, and compile.

``openapi/bff.d.ts`` is what a frontend team copies (or imports) instead of writing types by
hand; it must never lag behind ``openapi/openapi.json``. ``openapi/check/screens.ts`` uses the
types the way a frontend does, for two screens, so a contract change that breaks that code
fails here, in the BFF's own suite. The npm tools are pinned in ``openapi/package.json`` and
installed by ``make test`` (``make node-tools``).
"""

from __future__ import annotations

import difflib
import subprocess
from pathlib import Path

OPENAPI_DIR = Path(__file__).resolve().parents[2] / "openapi"
NODE_BIN = OPENAPI_DIR / "node_modules" / ".bin"
TIMEOUT_SECONDS = 180


def tool(name: str) -> str:
    path = NODE_BIN / name
    assert path.exists(), f"{name} is not installed in openapi/node_modules: run `make node-tools`"
    return str(path)


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        cwd=OPENAPI_DIR,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )


def test_generated_types_match_the_committed_contract(tmp_path: Path) -> None:
    fresh = tmp_path / "bff.d.ts"
    result = run(tool("openapi-typescript"), "openapi.json", "--output", str(fresh))
    assert result.returncode == 0, result.stdout + result.stderr

    committed = (OPENAPI_DIR / "bff.d.ts").read_text(encoding="utf-8")
    diff = "".join(
        difflib.unified_diff(
            committed.splitlines(keepends=True),
            fresh.read_text(encoding="utf-8").splitlines(keepends=True),
            fromfile="openapi/bff.d.ts (committed)",
            tofile="bff.d.ts (from openapi/openapi.json)",
            n=2,
        )
    )
    assert not diff, f"the TypeScript types are stale; run `make openapi`:\n{diff[:6000]}"


def test_a_frontend_using_the_types_for_two_screens_compiles() -> None:
    result = run(tool("tsc"), "--noEmit", "-p", "tsconfig.json")
    assert result.returncode == 0, f"tsc --noEmit failed:\n{result.stdout}{result.stderr}"
