"""The private parts of third-party libraries the BFF uses, in one place: the only module that
names them, each declared in `REGISTRY` with the releases it was checked against.

Four things need what no public API gives:

* the lean send path (`sender.py`) hands a prebuilt request to the shared client's own transport
  and builds URLs from httpx's parsed form of the base URL (a private attribute it also writes);
* `/metrics` reports the pools' occupancy, which neither httpcore nor aiohttp exposes;
* the aiohttp transport tells a pool wait from a slow connect by overriding the connector's
  private wait (`connector_noting_waits`);
* the edge limits (`bff/server.py`) extend uvicorn's httptools protocol, an internal module whose
  methods and per-connection attributes are not an API.

Each use has a declared fallback or none. With one (`Private.fallback`), a release outside the
checked range, or one where the name has gone, turns the accessor off and its caller takes the
public path: `AsyncClient.send`, no pool gauges, aiohttp's tracing signals. Without one, the
start-up check (`verify`, called first in the app's lifespan) fails loudly, naming the library,
its installed release and the name. The check runs once; the accessors on the hot path read one
module-level bool and nothing else.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import re
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Literal, Protocol, TypeVar

import aiohttp
import httpcore
import httpx

# uvicorn's httptools protocol is the class `bff/server.py` extends; ServerState types its
# constructor and Multiprocess runs several workers (both undocumented). Re-exported from here
# so no other module imports uvicorn's internals.
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as HttpToolsProtocol
from uvicorn.server import ServerState as ServerState
from uvicorn.supervisors import Multiprocess as Multiprocess

logger = logging.getLogger("clients.internals")

Release = tuple[int, int]
Kind = Literal["attribute", "method", "module-attr"]


def _release(package: str) -> Release | None:
    try:
        found = re.match(r"(\d+)\.(\d+)", version(package))
    except PackageNotFoundError:
        return None
    return (int(found[1]), int(found[2])) if found else None


def _installed(package: str) -> str | None:
    try:
        return version(package)
    except PackageNotFoundError:
        return None


def within(package: str, low: Release, high: Release) -> bool:
    """Whether the installed `package` is at least `low` and below `high` (major, minor)."""
    release = _release(package)
    return release is not None and low <= release < high


HTTPX_RANGE: tuple[Release, Release] = ((0, 28), (0, 29))
HTTPCORE_RANGE: tuple[Release, Release] = ((1, 0), (2, 0))
AIOHTTP_RANGE: tuple[Release, Release] = ((3, 11), (4, 0))
UVICORN_RANGE: tuple[Release, Release] = ((0, 34), (1, 0))

HTTPX_CHECKED = within("httpx", *HTTPX_RANGE)
"""httpx 0.28: `AsyncClient._transport_for_url`, `AsyncClient._transport`, `URL._uri_reference`.
Turned off by `verify` if one of them has gone."""
HTTPCORE_CHECKED = within("httpcore", *HTTPCORE_RANGE)
"""httpcore 1.x: `AsyncHTTPTransport._pool` (httpx), `AsyncConnectionPool._requests` and each
request's `is_queued()`."""
AIOHTTP_CHECKED = within("aiohttp", *AIOHTTP_RANGE)
"""aiohttp 3.11+: `TCPConnector._acquired`, `_waiters`, `_conns` (the pool gauges)."""
AIOHTTP_WAIT_HOOK = AIOHTTP_CHECKED and callable(
    getattr(aiohttp.TCPConnector, "_wait_for_available_connection", None)
)
"""aiohttp 3.11+: `TCPConnector._wait_for_available_connection`, overridden to note pool waits."""


# The registry.


@dataclass(frozen=True, slots=True)
class Private:
    """One private name of a library, as the BFF uses it."""

    library: str
    """The distribution whose release is checked (``importlib.metadata`` name)."""
    owner: str
    """Where the name lives: ``"module:Class"`` (attribute, method) or ``"module"``."""
    name: str
    kind: Kind
    """``attribute``: set on instances (or the class); ``method``: callable on the class;
    ``module-attr``: a name in a module."""
    checked: tuple[Release, Release]
    """The releases it was checked against: at least the first, below the second."""
    used_in: str
    """What uses it (for the report and the error)."""
    fallback: str | None = None
    """The public path taken without it; None: there is none, and start-up fails."""
    arity: int | None = None
    """For methods: positional parameters, ``self`` included."""
    writes: bool = False
    """Whether the BFF writes it (checked before any write is allowed)."""
    flag: str | None = None
    """The module-level bool of this module that gates the accessor, turned off when it fails."""
    present: Callable[[], bool] | None = None
    """A cheap live check that the name is there with the meaning the BFF relies on (on an
    instance built for it), instead of looking for it in the class's code."""

    @property
    def label(self) -> str:
        owner = self.owner.partition(":")[2] or self.owner
        return f"{owner}.{self.name}"

    @property
    def checked_text(self) -> str:
        (low_major, low_minor), (high_major, high_minor) = self.checked
        top = f"{high_major - 1}.x" if high_minor == 0 else f"{high_major}.{high_minor - 1}"
        return f"{low_major}.{low_minor}-{top}"


@dataclass(frozen=True, slots=True)
class Problem:
    """A registry entry the installed release does not satisfy."""

    private: Private
    installed: str | None
    reason: str
    """What is wrong: ``is gone``, ``is not callable``, ``is outside the checked releases``..."""

    @property
    def fatal(self) -> bool:
        """No public path: the app must not start."""
        return self.private.fallback is None and not self.untested_only

    @property
    def untested_only(self) -> bool:
        """The name is there with the expected shape, on a release it was not checked against."""
        return self.reason.startswith("is on a release outside")

    def message(self) -> str:
        private = self.private
        then = (
            f"falling back to {private.fallback}"
            if private.fallback is not None
            else f"no public path for {private.used_in}: upgrade the BFF or pin {private.library}"
        )
        return (
            f"{private.library} {self.installed or '(not installed)'}: {private.label} "
            f"{self.reason} (checked against {private.checked_text}); {then}"
        )


def _sample_url() -> httpx.URL:
    return httpx.URL("http://internals.check:1/path?query")


def _is_parse_result(value: object) -> bool:
    # `sender.py` builds it positionally: scheme, userinfo, host, port, path, query, fragment.
    return isinstance(value, tuple) and getattr(type(value), "_fields", None) == (
        "scheme",
        "userinfo",
        "host",
        "port",
        "path",
        "query",
        "fragment",
    )


def _assigned(cls: type, name: str) -> bool:
    """Whether a function of `cls` or its bases stores or reads `name` as an attribute (how an
    instance attribute set in ``__init__`` shows without building an instance)."""
    for klass in cls.__mro__:
        for value in vars(klass).values():
            function = getattr(value, "__func__", value)
            code = getattr(function, "__code__", None)
            if code is not None and name in code.co_names:
                return True
    return False


def _retry_switch_present() -> bool:
    # A session's attributes are declared in `ATTRS` (setting any other one warns); the switch
    # is set in `__init__` from an argument aiohttp does not expose (aio-libs/aiohttp#10790).
    return "_retry_connection" in getattr(aiohttp.ClientSession, "ATTRS", ()) and _assigned(
        aiohttp.ClientSession, "_retry_connection"
    )


AIOHTTP_RETRY_SWITCH = _retry_switch_present()
"""aiohttp 3.11+: `ClientSession._retry_connection`, written once per session to turn off the
resend aiohttp does by itself (no public switch); without it the aiohttp transport cannot be
built, and `verify` stops start-up."""


def _sample_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=_SAMPLE_TRANSPORT, trust_env=False)


_SAMPLE_TRANSPORT = httpx.MockTransport(lambda request: httpx.Response(204))

_HTTPX = "httpx"
_UVICORN_PROTOCOL = "uvicorn.protocols.http.httptools_impl"
_HTTPTOOLS_PROTOCOL = f"{_UVICORN_PROTOCOL}:HttpToolsProtocol"
_EDGE = "the edge limits (bff/server.py EdgeProtocol)"


def _uvicorn(owner: str, name: str, kind: Kind, arity: int | None = None) -> Private:
    return Private("uvicorn", owner, name, kind, UVICORN_RANGE, _EDGE, arity=arity)


REGISTRY: tuple[Private, ...] = (
    # httpx: the lean send path (clients/sender.py).
    Private(
        _HTTPX,
        "httpx:AsyncClient",
        "_transport_for_url",
        "method",
        HTTPX_RANGE,
        "the lean send path (clients/sender.py)",
        fallback="AsyncClient.send",
        arity=2,
        flag="HTTPX_CHECKED",
    ),
    Private(
        _HTTPX,
        "httpx:AsyncClient",
        "_transport",
        "attribute",
        HTTPX_RANGE,
        "the lean send path (clients/sender.py)",
        fallback="AsyncClient.send",
        flag="HTTPX_CHECKED",
        present=lambda: getattr(_sample_client(), "_transport", None) is _SAMPLE_TRANSPORT,
    ),
    Private(
        _HTTPX,
        "httpx:URL",
        "_uri_reference",
        "attribute",
        HTTPX_RANGE,
        "URLs built without parsing (clients/sender.py)",
        fallback="httpx.URL parsing and AsyncClient.send",
        writes=True,
        flag="HTTPX_CHECKED",
        present=lambda: _is_parse_result(getattr(_sample_url(), "_uri_reference", None)),
    ),
    # httpcore (and httpx's transport around it): the pool gauges (bff/transport.py).
    Private(
        _HTTPX,
        "httpx:AsyncHTTPTransport",
        "_pool",
        "attribute",
        HTTPX_RANGE,
        "the httpcore pool gauges (bff/transport.py pool_usage)",
        fallback="no pool gauges",
        flag="HTTPCORE_CHECKED",
    ),
    Private(
        "httpcore",
        "httpcore:AsyncConnectionPool",
        "_requests",
        "attribute",
        HTTPCORE_RANGE,
        "the httpcore pool gauges (bff/transport.py pool_usage)",
        fallback="no pool gauges",
        flag="HTTPCORE_CHECKED",
        present=lambda: isinstance(
            getattr(httpcore.AsyncConnectionPool(), "_requests", None), list
        ),
    ),
    Private(
        "httpcore",
        "httpcore._async.connection_pool:AsyncPoolRequest",
        "is_queued",
        "method",
        HTTPCORE_RANGE,
        "the httpcore pool gauges (bff/transport.py pool_usage)",
        fallback="no pool gauges",
        arity=1,
        flag="HTTPCORE_CHECKED",
    ),
    # aiohttp: the pool gauges and the pool-wait hook (bff/transport.py).
    *(
        Private(
            "aiohttp",
            "aiohttp:TCPConnector",
            name,
            "attribute",
            AIOHTTP_RANGE,
            "the aiohttp pool gauges (bff/transport.py pool_usage)",
            fallback="no pool gauges",
            flag="AIOHTTP_CHECKED",
        )
        for name in ("_acquired", "_waiters", "_conns")
    ),
    Private(
        "aiohttp",
        "aiohttp:TCPConnector",
        "_wait_for_available_connection",
        "method",
        AIOHTTP_RANGE,
        "telling a pool wait from a slow connect (bff/transport.py)",
        fallback="aiohttp's connection-queued tracing signals",
        arity=3,
        flag="AIOHTTP_WAIT_HOOK",
    ),
    Private(
        "aiohttp",
        "aiohttp:ClientSession",
        "_retry_connection",
        "attribute",
        AIOHTTP_RANGE,
        "turning off aiohttp's own resend of idempotent requests (bff/transport.py)",
        writes=True,
        present=lambda: _retry_switch_present(),
    ),
    # uvicorn: the edge limits extend its httptools protocol (bff/server.py), no fallback.
    _uvicorn(_UVICORN_PROTOCOL, "HttpToolsProtocol", "module-attr"),
    _uvicorn("uvicorn.server", "ServerState", "module-attr"),
    _uvicorn("uvicorn.supervisors", "Multiprocess", "module-attr"),
    _uvicorn(_HTTPTOOLS_PROTOCOL, "__init__", "method", arity=5),
    _uvicorn(_HTTPTOOLS_PROTOCOL, "connection_made", "method", arity=2),
    _uvicorn(_HTTPTOOLS_PROTOCOL, "connection_lost", "method", arity=2),
    _uvicorn(_HTTPTOOLS_PROTOCOL, "data_received", "method", arity=2),
    _uvicorn(_HTTPTOOLS_PROTOCOL, "on_message_begin", "method", arity=1),
    _uvicorn(_HTTPTOOLS_PROTOCOL, "on_header", "method", arity=3),
    _uvicorn(_HTTPTOOLS_PROTOCOL, "on_headers_complete", "method", arity=1),
    _uvicorn(_HTTPTOOLS_PROTOCOL, "on_message_complete", "method", arity=1),
    _uvicorn(_HTTPTOOLS_PROTOCOL, "send_400_response", "method", arity=2),
    *(
        _uvicorn(_HTTPTOOLS_PROTOCOL, name, "attribute")
        for name in ("app_state", "server", "scope", "cycle", "flow", "transport", "loop")
    ),
    _uvicorn(f"{_UVICORN_PROTOCOL}:RequestResponseCycle", "response_complete", "attribute"),
    _uvicorn(f"{_UVICORN_PROTOCOL}:RequestResponseCycle", "keep_alive", "attribute"),
    _uvicorn("uvicorn.protocols.http.flow_control:FlowControl", "pause_reading", "method", 1),
)
"""Every private name (or internal module's name) of a third-party library the BFF uses."""


# The check.


def _resolve(owner: str) -> object:
    module_name, _, qualname = owner.partition(":")
    found: object = importlib.import_module(module_name)
    for part in qualname.split(".") if qualname else ():
        found = getattr(found, part)
    return found


def _positional(function: Callable[..., object]) -> int | None:
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return None
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return sum(1 for parameter in parameters if parameter.kind in kinds)


def _defect(private: Private) -> str | None:
    """What is wrong with `private` on the installed release, or None."""
    try:
        owner = _resolve(private.owner)
    except (ImportError, AttributeError) as exc:
        return f"is gone: {private.owner} cannot be loaded ({exc})"
    if private.kind == "module-attr":
        return None if hasattr(owner, private.name) else "is gone"
    if not isinstance(owner, type):
        return f"has no class to look on ({private.owner} is not one)"
    if private.kind == "method":
        method = getattr(owner, private.name, None)
        if method is None:
            return "is gone"
        if not callable(method):
            return "is not callable"
        if private.arity is not None:
            arity = _positional(method)
            if arity is not None and arity != private.arity:
                return f"takes {arity} positional parameters, not {private.arity}"
        return None
    if private.present is not None:
        return None if private.present() else "is gone or has changed shape"
    if hasattr(owner, private.name) or _assigned(owner, private.name):
        return None
    return "is gone"


def check_all(registry: tuple[Private, ...] = REGISTRY) -> list[Problem]:
    """Every registry entry the installed releases do not satisfy (none, on a checked install)."""
    problems = []
    for private in registry:
        installed = _installed(private.library)
        defect = _defect(private)
        if defect is None and not within(private.library, *private.checked):
            defect = "is on a release outside the checked ones, but present"
        if defect is not None:
            problems.append(Problem(private, installed, defect))
    return problems


def verify(registry: tuple[Private, ...] = REGISTRY) -> list[Problem]:
    """Check every private name once (at start-up): raise `RuntimeError` naming the library, its
    release and the name when one with no public path is gone or has changed; turn off the
    accessors of the others (their callers take the public path), with a warning. Returns the
    problems that did not stop start-up."""
    problems = check_all(registry)
    fatal = [problem for problem in problems if problem.fatal]
    if fatal:
        raise RuntimeError("; ".join(problem.message() for problem in fatal))
    untested: dict[str, list[Problem]] = {}
    for problem in problems:
        if problem.untested_only:
            untested.setdefault(problem.private.library, []).append(problem)
            continue
        flag = problem.private.flag
        if flag is not None and globals().get(flag) is True:
            globals()[flag] = False
        logger.warning("%s", problem.message())
    for library, found in untested.items():
        logger.warning(
            "%s %s is outside the releases its internals were checked against (%s); present "
            "as expected: %s",
            library,
            found[0].installed,
            ", ".join(sorted({problem.private.checked_text for problem in found})),
            ", ".join(problem.private.label for problem in found),
        )
    return problems


_verified = False


def verify_once() -> None:
    """`verify`, once per process: the first app's lifespan checks, later ones (tests build many
    apps) find it done. A failed check is not remembered, so every start-up fails alike."""
    global _verified
    if not _verified:
        verify()
        _verified = True


# The accessors. Each reads one module-level bool; none checks a release per call.


def transport_for(http: httpx.AsyncClient, url: httpx.URL) -> httpx.AsyncBaseTransport | None:
    """The transport `http.send` would use for `url` (mounts included), or None."""
    if not HTTPX_CHECKED:
        return None
    method = getattr(http, "_transport_for_url", None)
    return method(url) if callable(method) else None


def default_transport(http: httpx.AsyncClient) -> httpx.AsyncBaseTransport | None:
    """The client's own transport (the one built by the app's lifespan), or None."""
    if not HTTPX_CHECKED:
        return None
    transport = getattr(http, "_transport", None)
    return transport if isinstance(transport, httpx.AsyncBaseTransport) else None


def parsed_url(url: httpx.URL) -> Any | None:
    """httpx's parsed form of `url` (a named tuple of its components), or None."""
    if not HTTPX_CHECKED:
        return None
    reference = getattr(url, "_uri_reference", None)
    return reference if _is_parse_result(reference) else None


_new_url = httpx.URL.__new__


def url_from_parsed(reference: Any) -> httpx.URL:
    """The `httpx.URL` whose parsed form is `reference` (one of `parsed_url`'s, its fields
    replaced), built without parsing. Only on a checked httpx: `parsed_url` answers None
    elsewhere, so a caller that has a `reference` may write it."""
    if not HTTPX_CHECKED:
        raise RuntimeError("httpx URLs can only be built from a parsed form on a checked httpx")
    url = _new_url(httpx.URL)
    url._uri_reference = reference
    return url


def httpcore_pool_counts(transport: httpx.AsyncHTTPTransport) -> tuple[int, int, int] | None:
    """(requests held, requests queued, idle connections) of httpx's httpcore pool, or None."""
    if not HTTPCORE_CHECKED:
        return None
    try:
        pool = transport._pool
        requests = list(pool._requests)
        queued = sum(1 for request in requests if request.is_queued())
        idle = sum(1 for connection in pool.connections if connection.is_idle())
    except AttributeError:
        return None
    return len(requests), queued, idle


def aiohttp_pool_counts(connector: aiohttp.BaseConnector) -> tuple[int, int, int] | None:
    """(connections acquired, requests waiting, idle connections) of an aiohttp pool, or None."""
    if not AIOHTTP_CHECKED:
        return None
    try:
        return (
            len(connector._acquired),
            sum(len(waiters) for waiters in connector._waiters.values()),
            sum(len(idle) for idle in connector._conns.values()),
        )
    except AttributeError:
        return None


def disable_connection_retry(session: aiohttp.ClientSession) -> None:
    """Turn off aiohttp's own resend of an idempotent request whose connection dropped before
    the response (the request pipeline retries, and counts it). Written only where checked."""
    if not AIOHTTP_RETRY_SWITCH:
        raise RuntimeError(
            f"aiohttp {_installed('aiohttp')}: ClientSession._retry_connection is gone (checked "
            f"against {AIOHTTP_RANGE[0][0]}.{AIOHTTP_RANGE[0][1]}-3.x); the aiohttp transport "
            "cannot turn off aiohttp's own retries: use BFF_HTTP_TRANSPORT=httpcore"
        )
    session._retry_connection = False


class WaitNote(Protocol):
    """Where a pool wait is noted: true while the request waits for a free connection."""

    waiting: bool


W = TypeVar("W", bound=WaitNote)


def connector_noting_waits(note: ContextVar[W | None]) -> type[aiohttp.TCPConnector] | None:
    """A connector class that sets ``note.get().waiting`` while the request being sent waits for
    a free slot in the pool, or None when the installed aiohttp has no such wait to override
    (then aiohttp's ``on_connection_queued_*`` tracing signals are the public path)."""
    if not AIOHTTP_WAIT_HOOK:
        return None

    class _QueueAwareConnector(aiohttp.TCPConnector):
        async def _wait_for_available_connection(self, key: Any, traces: list[Any]) -> None:
            noted = note.get()
            if noted is not None:
                noted.waiting = True
            await super()._wait_for_available_connection(key, traces)
            if noted is not None:
                noted.waiting = False

    return _QueueAwareConnector


def waits_noted() -> bool:
    """Whether a connector from `connector_noting_waits` may be used (False once `verify` has
    found the overridden wait gone)."""
    return AIOHTTP_WAIT_HOOK
