"""The /docs (Swagger UI) and /redoc pages, served with no request leaving the machine.

FastAPI's own pages load their JavaScript, CSS, favicon and (ReDoc) fonts from public CDNs, so
behind a firewall or offline they render blank. The assets come from the ``fastapi-offline``
package, which vendors the current Swagger UI and ReDoc bundles and is kept up to date upstream:
we reuse its files, not its ``FastAPIOffline`` factory, so ``create_app`` keeps building a plain
``FastAPI``. FastAPI's HTML builders are still the ones rendering the pages, so Swagger UI's
parameters and the OAuth2 redirect behave as they do by default.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

ASSETS_PACKAGE = "fastapi_offline"
ASSETS_URL = "/docs-assets"
SWAGGER_JS = "swagger-ui-bundle.js"
SWAGGER_CSS = "swagger-ui.css"
REDOC_JS = "redoc.standalone.js"
FAVICON = "favicon.png"


def assets_directory() -> Path:
    """Where the vendored bundles are installed. A missing file fails here, at startup, rather
    than as a blank page in a browser."""
    directory = Path(str(files(ASSETS_PACKAGE) / "static"))
    missing = [
        name
        for name in (SWAGGER_JS, SWAGGER_CSS, REDOC_JS, FAVICON)
        if not (directory / name).is_file()
    ]
    if missing:
        raise RuntimeError(f"{ASSETS_PACKAGE} does not ship {', '.join(missing)} in {directory}")
    return directory


# The pages' own inline bootstrap scripts and styles are allowed; anything from another origin
# is refused by the browser itself (ReDoc, for one, always asks a CDN for its logo).
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "worker-src 'self' blob:",
        "connect-src 'self'",
        "frame-ancestors 'self'",
    )
)


def _same_origin_only(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return page


def install_docs(
    app: FastAPI,
    *,
    docs_url: str = "/docs",
    redoc_url: str = "/redoc",
    assets_url: str = ASSETS_URL,
) -> None:
    """Serve the docs pages and their assets from the app itself.

    Build the app with ``FastAPI(docs_url=None, redoc_url=None)`` first so that FastAPI's CDN
    pages are not registered as well. URLs honour the ASGI ``root_path`` (a BFF mounted behind a
    path-prefixing proxy still finds its assets).
    """
    openapi_url = app.openapi_url
    if openapi_url is None:
        raise ValueError("the docs pages need the OpenAPI document: openapi_url is None")
    oauth2_redirect_url = app.swagger_ui_oauth2_redirect_url
    app.mount(assets_url, StaticFiles(directory=assets_directory()), name="docs-assets")

    def asset(request: Request, name: str) -> str:
        return f"{request.scope.get('root_path', '')}{assets_url}/{name}"

    @app.get(docs_url, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return _same_origin_only(
            get_swagger_ui_html(
                openapi_url=f"{root}{openapi_url}",
                title=f"{app.title} - Swagger UI",
                swagger_js_url=asset(request, SWAGGER_JS),
                swagger_css_url=asset(request, SWAGGER_CSS),
                swagger_favicon_url=asset(request, FAVICON),
                oauth2_redirect_url=f"{root}{oauth2_redirect_url}" if oauth2_redirect_url else None,
                init_oauth=app.swagger_ui_init_oauth,
                swagger_ui_parameters=app.swagger_ui_parameters,
            )
        )

    if oauth2_redirect_url:

        @app.get(oauth2_redirect_url, include_in_schema=False)
        async def swagger_ui_redirect() -> HTMLResponse:
            return get_swagger_ui_oauth2_redirect_html()

    @app.get(redoc_url, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return _same_origin_only(
            get_redoc_html(
                openapi_url=f"{root}{openapi_url}",
                title=f"{app.title} - ReDoc",
                redoc_js_url=asset(request, REDOC_JS),
                redoc_favicon_url=asset(request, FAVICON),
                with_google_fonts=False,
            )
        )
