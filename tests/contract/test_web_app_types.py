"""The example web app (examples/web) is typed by the published contract, and what is committed
is what its sources build.

* The committed JavaScript (``site/js``) and the vendored openapi-fetch (``site/vendor``) are what
  ``tsc`` and ``vendor.mjs`` produce now: ``bff demo`` serves them without npm, so they must not
  drift from the TypeScript sources (``make web`` rebuilds them).
* A contract drift breaks the app's build: a field renamed in a copy of ``openapi/bff.d.ts`` (as
  a renamed response field would regenerate it) fails ``tsc``, while the unchanged copy passes.

The npm packages are pinned in ``examples/web/package.json`` and installed by ``make test``
(``make web-tools``).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
WEB = REPO / "examples" / "web"
CONTRACT = REPO / "openapi" / "bff.d.ts"
TIMEOUT_SECONDS = 180


def tsc() -> str:
    path = WEB / "node_modules" / ".bin" / "tsc"
    assert path.exists(), "typescript is not installed in examples/web: run `make web-tools`"
    return str(path)


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=WEB, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False
    )


def files_under(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): path.read_text(encoding="utf-8")
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_the_committed_app_is_what_its_sources_build(tmp_path: Path) -> None:
    built = run(tsc(), "-p", "tsconfig.json", "--outDir", str(tmp_path / "js"))
    assert built.returncode == 0, built.stdout + built.stderr
    vendored = run("node", "vendor.mjs", str(tmp_path / "vendor"))
    assert vendored.returncode == 0, vendored.stdout + vendored.stderr

    for part in ("js", "vendor"):
        assert files_under(tmp_path / part) == files_under(WEB / "site" / part), (
            f"examples/web/site/{part} is stale: run `make web` and commit it"
        )


def type_check(tmp_path: Path, contract: str) -> subprocess.CompletedProcess[str]:
    """``tsc --noEmit`` of the app's sources against this text of the contract."""
    (tmp_path / "bff.d.ts").write_text(contract, encoding="utf-8")
    config = {
        "extends": str(WEB / "tsconfig.json"),
        "compilerOptions": {
            "noEmit": True,
            "paths": {"bff-contract": [str(tmp_path / "bff.d.ts")]},
        },
    }
    (tmp_path / "tsconfig.json").write_text(json.dumps(config), encoding="utf-8")
    return run(tsc(), "-p", str(tmp_path / "tsconfig.json"))


RENAMES = (
    ("SectionStatus", "age", "ageSeconds"),
    ("PublicUser", "firstName", "givenName"),
    ("ProductSummary", "price", "unitPrice"),
)


def renamed(contract: str, schema: str, field: str, new_name: str) -> str:
    """The contract with one field of one schema renamed, as a regenerated bff.d.ts would be."""
    start = contract.index(f"        {schema}: {{\n")
    end = contract.index("\n        };\n", start)
    body = contract[start:end]
    declared = [form for form in (f"    {field}: ", f"    {field}?: ") if form in body]
    assert len(declared) == 1, f"{schema}.{field} is not declared once in bff.d.ts"
    body = body.replace(declared[0], declared[0].replace(field, new_name))
    return contract[:start] + body + contract[end:]


def test_fields_renamed_in_the_contract_fail_the_apps_type_check(tmp_path: Path) -> None:
    """One tsc run for all renames (each costs seconds); each must be reported on its own. The
    unchanged contract compiles: see the build test above."""
    contract = CONTRACT.read_text(encoding="utf-8")
    for schema, field, new_name in RENAMES:
        contract = renamed(contract, schema, field, new_name)

    result = type_check(tmp_path, contract)

    assert result.returncode != 0, "tsc accepted the app against a drifted contract"
    for schema, field, _ in RENAMES:
        assert f"Property '{field}' does not exist" in result.stdout, (schema, result.stdout)
