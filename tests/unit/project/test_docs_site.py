"""The documentation site builds with ``mkdocs build --strict`` in a namespace with no network at
all, and loads nothing from another host (no CDN script or stylesheet, no Google Fonts), so it
builds and reads offline; the README stays short and points into it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bff.settings import Settings

ROOT = Path(__file__).resolve().parents[3]
MKDOCS = Path(sys.executable).parent / "mkdocs"
README_MAX_LINES = 150

REMOTE_SCRIPT = re.compile(r"<script\b[^>]*\bsrc=[\"']?(?:https?:)?//", re.I)
REMOTE_LINK = re.compile(r"<link\b[^>]*\bhref=[\"']?(?:https?:)?//", re.I)
REMOTE_CSS_IMPORT = re.compile(r"@import\s+(?:url\()?[\"']?(?:https?:)?//", re.I)
FONT_HOSTS = ("fonts.googleapis.com", "fonts.gstatic.com")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.fail(
            "unshare (util-linux) is missing: the docs build is tested in a namespace with no "
            "network, and cannot be checked without it"
        )
    out = tmp_path_factory.mktemp("site")
    build = subprocess.run(
        [unshare, "--net", "--", str(MKDOCS), "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        check=False,
    )
    assert build.returncode == 0, f"mkdocs build --strict failed:\n{build.stdout}{build.stderr}"
    return out


def _html(site: Path) -> dict[str, str]:
    return {str(path.relative_to(site)): path.read_text() for path in site.rglob("*.html")}


def test_the_site_builds_strictly_without_network(site: Path) -> None:
    assert (site / "index.html").is_file()
    assert (site / "reference" / "configuration" / "index.html").is_file()


def test_no_page_loads_a_script_stylesheet_or_font_from_another_host(site: Path) -> None:
    pages = _html(site)
    assert pages

    for name, html in pages.items():
        assert not REMOTE_SCRIPT.search(html), f"{name} loads a script from another host"
        assert not REMOTE_LINK.search(html), f"{name} links a stylesheet or font of another host"
        assert not any(host in html for host in FONT_HOSTS), f"{name} uses Google Fonts"


def test_no_stylesheet_imports_from_another_host(site: Path) -> None:
    for path in site.rglob("*.css"):
        css = path.read_text()
        assert not REMOTE_CSS_IMPORT.search(css), path
        assert not any(host in css for host in FONT_HOSTS), path


def test_the_built_configuration_page_names_every_setting(site: Path) -> None:
    html = (site / "reference" / "configuration" / "index.html").read_text()
    prefix = Settings.model_config.get("env_prefix", "")

    missing = [
        variable
        for variable in (f"{prefix}{name}".upper() for name in Settings.model_fields)
        if f"<code>{variable}</code>" not in html
    ]

    assert missing == []
    assert "settings-table" not in html


def test_the_built_reference_pages_hold_no_placeholder(site: Path) -> None:
    for page in ("cli", "make", "endpoints", "configuration"):
        html = (site / "reference" / page / "index.html").read_text()
        assert "<table>" in html, page
        assert not re.search(r"<!-- [a-z-]+ -->", html), page


def test_the_benchmarks_page_shows_the_committed_chart(site: Path) -> None:
    html = (site / "benchmarks" / "index.html").read_text()

    assert 'src="../assets/bench/latest.png"' in html
    chart = ROOT / "bench" / "results" / "latest.png"
    assert (site / "assets" / "bench" / "latest.png").read_bytes() == chart.read_bytes()


def test_the_request_flow_page_shows_its_drawn_diagram(site: Path) -> None:
    html = (site / "concepts" / "request-flow" / "index.html").read_text()

    assert 'src="../../assets/request-flow.svg"' in html
    assert (site / "assets" / "request-flow.svg").is_file()


def test_the_readme_is_short() -> None:
    lines = (ROOT / "README.md").read_text().splitlines()

    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines"


def test_the_readme_links_into_the_docs_and_every_link_resolves() -> None:
    text = (ROOT / "README.md").read_text()
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    local = [target for target in targets if not re.match(r"[a-z]+:", target)]

    assert any(target.startswith("docs/") and target.endswith(".md") for target in local)
    assert [target for target in local if not (ROOT / target).exists()] == []
