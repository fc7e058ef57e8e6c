"""The breaking-change guard: what changed between two versions of the published contract.

Frontends compile against ``openapi/openapi.json`` (and the TypeScript types generated from it),
so a change that an existing frontend cannot absorb must not ship as a minor release. This module
compares two OpenAPI 3.1 documents the way a consumer experiences them and classifies every
difference:

- **breaking**: a path or operation removed, an operation id renamed (generated clients use it as
  the method name), a response field removed or made optional, a response type widened (e.g. a
  field may now be null), a request field or parameter made required, added as required or
  removed, a request type narrowed or its constraints tightened, a success response or media
  type removed;
- **compatible**: additions (paths, operations, optional inputs, response fields, statuses,
  headers), loosened inputs and narrowed outputs.

Types are compared by direction: a request schema may only accept more than before, a response
schema may only promise less. ``$ref``s are resolved (recursive models included) on both sides.

The rule that uses the classification: a breaking change is allowed only together with a major
bump of ``info.version`` (which is ``bff.__version__``). ``make openapi-check`` runs ``main``.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

Json = Mapping[str, Any]

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_COMBINERS = ("anyOf", "oneOf")
_NUMERIC_FLOORS = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
_NUMERIC_CEILINGS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")
_ANY = "any"


class Severity(StrEnum):
    BREAKING = "breaking"
    COMPATIBLE = "compatible"


class Direction(StrEnum):
    """Who produces the data: the frontend (request) or the BFF (response)."""

    REQUEST = "request"
    RESPONSE = "response"


@dataclass(frozen=True, order=True)
class Change:
    severity: Severity
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.severity.value:<10} {self.where}: {self.what}"


def major_of(version: str) -> int:
    """The major number of a ``MAJOR.MINOR.PATCH`` version (a leading ``v`` is allowed)."""
    found = re.match(r"v?(\d+)(?:\.|$)", version.strip())
    if found is None:
        raise ValueError(f"info.version {version!r} is not MAJOR.MINOR.PATCH")
    return int(found.group(1))


@dataclass(frozen=True)
class Report:
    old_version: str
    new_version: str
    changes: tuple[Change, ...]

    @property
    def breaking(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.severity is Severity.BREAKING)

    @property
    def compatible(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.severity is Severity.COMPATIBLE)

    @property
    def major_bumped(self) -> bool:
        return major_of(self.new_version) > major_of(self.old_version)

    @property
    def ok(self) -> bool:
        """Breaking changes are allowed only with a major version bump."""
        return not self.breaking or self.major_bumped

    def render(self) -> str:
        lines = [str(change) for change in self.changes]
        lines.append(
            f"{len(self.changes)} change(s): {len(self.breaking)} breaking, "
            f"{len(self.compatible)} compatible (info.version {self.old_version} -> "
            f"{self.new_version})."
        )
        if not self.ok:
            lines.append(
                f"FAIL: breaking changes need a major version bump: set bff.__version__ to "
                f"{major_of(self.old_version) + 1}.0.0 (or undo them)."
            )
        elif self.breaking:
            lines.append("OK: breaking changes, released under a new major version.")
        else:
            lines.append("OK: no breaking change.")
        return "\n".join(lines)


def compare(old: Json, new: Json) -> Report:
    """Classify every difference between the ``old`` and the ``new`` contract."""
    differ = _Differ(old, new)
    differ.paths()
    return Report(
        old_version=str(old.get("info", {}).get("version", "0")),
        new_version=str(new.get("info", {}).get("version", "0")),
        changes=tuple(sorted(set(differ.changes))),
    )


# --- resolution -----------------------------------------------------------------------------------


def _pointer(document: Json, ref: str) -> Json:
    if not ref.startswith("#/"):
        raise ValueError(f"only local $refs are supported, got {ref!r}")
    node: Any = document
    for raw in ref[2:].split("/"):
        node = node[raw.replace("~1", "/").replace("~0", "~")]
    if not isinstance(node, Mapping):
        raise ValueError(f"$ref {ref!r} does not point at an object")
    return node


def _resolve(document: Json, node: Json) -> tuple[Json, str | None]:
    """Follow ``$ref``s to the node they name; also return the last ref (the cycle key)."""
    ref: str | None = None
    hops = 0
    while isinstance(node.get("$ref"), str):
        ref = node["$ref"]
        node = _pointer(document, ref)
        hops += 1
        if hops > 64:
            raise ValueError(f"$ref cycle without a schema at {ref!r}")
    return node, ref


# --- schema facts ---------------------------------------------------------------------------------


@dataclass
class _Shape:
    """A schema flattened for comparison: its types, object members, enum and constraints."""

    types: set[str] = field(default_factory=set)
    properties: dict[str, Json] = field(default_factory=dict)
    required: set[str] = field(default_factory=set)
    additional: Json | bool | None = None
    items: Json | None = None
    variants: list[Json] = field(default_factory=list)
    enum: list[Any] | None = None
    format: str | None = None
    bounds: dict[str, Any] = field(default_factory=dict)
    pattern: str | None = None


def _type_names(node: Json) -> set[str]:
    declared = node.get("type")
    if isinstance(declared, str):
        return {declared}
    if isinstance(declared, list):
        return {str(name) for name in declared}
    if "properties" in node or "additionalProperties" in node:
        return {"object"}
    if "items" in node:
        return {"array"}
    if "const" in node or "enum" in node:
        values = node.get("enum", [node.get("const")])
        return {_json_type(value) for value in values}
    return set()


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _covers(wide: set[str], narrow: set[str]) -> bool:
    """Whether every value of the ``narrow`` types is also a value of the ``wide`` ones."""
    if _ANY in wide:
        return True
    if _ANY in narrow:
        return False
    return all(t in wide or (t == "integer" and "number" in wide) for t in narrow)


# --- the comparison -------------------------------------------------------------------------------


class _Differ:
    def __init__(self, old: Json, new: Json) -> None:
        self.old = old
        self.new = new
        self.changes: list[Change] = []

    def add(self, severity: Severity, where: str, what: str) -> None:
        self.changes.append(Change(severity, where, what))

    def breaking(self, where: str, what: str) -> None:
        self.add(Severity.BREAKING, where, what)

    def compatible(self, where: str, what: str) -> None:
        self.add(Severity.COMPATIBLE, where, what)

    # paths and operations
    def paths(self) -> None:
        old_paths: Json = self.old.get("paths", {})
        new_paths: Json = self.new.get("paths", {})
        for path in old_paths:
            if path not in new_paths:
                for method in self._methods(old_paths[path]):
                    self.breaking(f"{method.upper()} {path}", "operation removed (path removed)")
        for path in new_paths:
            if path not in old_paths:
                for method in self._methods(new_paths[path]):
                    self.compatible(f"{method.upper()} {path}", "operation added")
        for path in old_paths.keys() & new_paths.keys():
            old_item, _ = _resolve(self.old, old_paths[path])
            new_item, _ = _resolve(self.new, new_paths[path])
            for method in HTTP_METHODS:
                where = f"{method.upper()} {path}"
                if method in old_item and method not in new_item:
                    self.breaking(where, "operation removed")
                elif method in new_item and method not in old_item:
                    self.compatible(where, "operation added")
                elif method in old_item:
                    self.operation(where, old_item, new_item, method)

    @staticmethod
    def _methods(item: Json) -> list[str]:
        return [method for method in HTTP_METHODS if method in item]

    def operation(self, where: str, old_item: Json, new_item: Json, method: str) -> None:
        old_op: Json = old_item[method]
        new_op: Json = new_item[method]
        old_id, new_id = old_op.get("operationId"), new_op.get("operationId")
        if old_id != new_id:
            self.breaking(where, f"operationId changed from {old_id!r} to {new_id!r}")
        self.parameters(
            where,
            self._parameters(self.old, old_item, old_op),
            self._parameters(self.new, new_item, new_op),
        )
        self.request_body(where, old_op.get("requestBody"), new_op.get("requestBody"))
        self.responses(where, old_op.get("responses", {}), new_op.get("responses", {}))

    @staticmethod
    def _parameters(document: Json, item: Json, operation: Json) -> dict[tuple[str, str], Json]:
        """Path-level parameters, overridden by the operation's own; keyed by (in, name)."""
        found: dict[tuple[str, str], Json] = {}
        for raw in [*item.get("parameters", []), *operation.get("parameters", [])]:
            parameter, _ = _resolve(document, raw)
            location = str(parameter.get("in", ""))
            name = str(parameter.get("name", ""))
            found[(location, name.lower() if location == "header" else name)] = parameter
        return found

    def parameters(
        self,
        where: str,
        old: Mapping[tuple[str, str], Json],
        new: Mapping[tuple[str, str], Json],
    ) -> None:
        for key, parameter in old.items():
            label = f"{key[0]} parameter {parameter.get('name', key[1])!r}"
            if key not in new:
                self.breaking(where, f"{label} removed")
                continue
            was_required = bool(parameter.get("required"))
            is_required = bool(new[key].get("required"))
            if is_required and not was_required:
                self.breaking(where, f"{label} made required")
            elif was_required and not is_required:
                self.compatible(where, f"{label} made optional")
            self.schema(
                f"{where} {label}",
                parameter.get("schema", {}),
                new[key].get("schema", {}),
                Direction.REQUEST,
                (),
            )
        for key, parameter in new.items():
            if key not in old:
                label = f"{key[0]} parameter {parameter.get('name', key[1])!r}"
                if parameter.get("required"):
                    self.breaking(where, f"required {label} added")
                else:
                    self.compatible(where, f"optional {label} added")

    def request_body(self, where: str, old_raw: Json | None, new_raw: Json | None) -> None:
        where = f"{where} request body"
        if old_raw is None and new_raw is None:
            return
        if old_raw is None:
            assert new_raw is not None
            new_body, _ = _resolve(self.new, new_raw)
            if new_body.get("required"):
                self.breaking(where, "required request body added")
            else:
                self.compatible(where, "optional request body added")
            return
        old_body, _ = _resolve(self.old, old_raw)
        if new_raw is None:
            self.breaking(where, "request body removed")
            return
        new_body, _ = _resolve(self.new, new_raw)
        if new_body.get("required") and not old_body.get("required"):
            self.breaking(where, "request body made required")
        self.content(where, old_body.get("content", {}), new_body.get("content", {}), request=True)

    def responses(self, where: str, old: Json, new: Json) -> None:
        for status, old_raw in old.items():
            here = f"{where} -> {status}"
            if status not in new:
                if str(status).startswith("2"):
                    self.breaking(here, "success response removed")
                else:
                    self.compatible(here, "documented response removed")
                continue
            old_response, _ = _resolve(self.old, old_raw)
            new_response, _ = _resolve(self.new, new[status])
            self.content(here, old_response.get("content", {}), new_response.get("content", {}))
            self.headers(here, old_response.get("headers", {}), new_response.get("headers", {}))
        for status in new:
            if status not in old:
                self.compatible(f"{where} -> {status}", "response added")

    def content(self, where: str, old: Json, new: Json, *, request: bool = False) -> None:
        direction = Direction.REQUEST if request else Direction.RESPONSE
        for media_type, old_media in old.items():
            if media_type not in new:
                self.breaking(where, f"media type {media_type} removed")
                continue
            self.schema(
                f"{where} {media_type}",
                old_media.get("schema", {}),
                new[media_type].get("schema", {}),
                direction,
                (),
                field_path="body",
            )
        for media_type in new:
            if media_type not in old:
                self.compatible(where, f"media type {media_type} added")

    def headers(self, where: str, old: Json, new: Json) -> None:
        lowered_new = {name.lower(): name for name in new}
        for name, old_raw in old.items():
            if name.lower() not in lowered_new:
                self.breaking(where, f"response header {name} removed")
                continue
            old_header, _ = _resolve(self.old, old_raw)
            new_header, _ = _resolve(self.new, new[lowered_new[name.lower()]])
            self.schema(
                f"{where} header {name}",
                old_header.get("schema", {}),
                new_header.get("schema", {}),
                Direction.RESPONSE,
                (),
            )
        lowered_old = {name.lower() for name in old}
        for name in new:
            if name.lower() not in lowered_old:
                self.compatible(where, f"response header {name} added")

    # schemas
    def shape(self, document: Json, node: Json) -> _Shape:
        shape = _Shape()
        self._collect(document, node, shape, depth=0)
        if not shape.types and not shape.variants:
            shape.types = {_ANY}
        return shape

    def _collect(self, document: Json, raw: Json, shape: _Shape, depth: int) -> None:
        node, _ = _resolve(document, raw)
        if depth > 16:
            raise ValueError("allOf nested too deeply")
        for part in node.get("allOf", []):
            self._collect(document, part, shape, depth + 1)
        shape.types |= _type_names(node)
        shape.properties.update(node.get("properties", {}))
        shape.required |= set(node.get("required", []))
        if "additionalProperties" in node:
            shape.additional = node["additionalProperties"]
        if "items" in node:
            shape.items = node["items"]
        for combiner in _COMBINERS:
            shape.variants.extend(node.get(combiner, []))
        if "enum" in node:
            shape.enum = list(node["enum"])
        elif "const" in node:
            shape.enum = [node["const"]]
        shape.format = node.get("format", shape.format)
        shape.pattern = node.get("pattern", shape.pattern)
        for bound in (*_NUMERIC_FLOORS, *_NUMERIC_CEILINGS):
            if bound in node:
                shape.bounds[bound] = node[bound]

    def _variant_types(self, document: Json, shape: _Shape) -> set[str]:
        if not shape.variants:
            return set(shape.types)
        found = set(shape.types)
        for variant in shape.variants:
            found |= self.shape(document, variant).types
        return found

    def _non_null(self, document: Json, variants: Sequence[Json]) -> list[Json]:
        return [v for v in variants if self.shape(document, v).types != {"null"}]

    def schema(
        self,
        where: str,
        old_raw: Json,
        new_raw: Json,
        direction: Direction,
        ancestors: tuple[tuple[str, str], ...],
        *,
        field_path: str = "",
        types_compared: bool = False,
    ) -> None:
        """Compare two schemas at one place; ``types_compared`` when the caller (a nullable
        union around this schema) already reported the difference of their types."""
        _, old_ref = _resolve(self.old, old_raw)
        _, new_ref = _resolve(self.new, new_raw)
        if old_ref is not None and new_ref is not None:
            key = (old_ref, new_ref)
            if key in ancestors:
                return  # a recursive model: this pair is being compared further up
            ancestors = (*ancestors, key)
        here = f"{where} {field_path}".rstrip() if field_path else where
        old, new = self.shape(self.old, old_raw), self.shape(self.new, new_raw)

        old_types = self._variant_types(self.old, old)
        new_types = self._variant_types(self.new, new)
        if old_types != new_types and not types_compared:
            self._types(here, old_types, new_types, direction)

        self._enum(here, old.enum, new.enum, direction)
        self._format(here, old.format, new.format, direction)
        if direction is Direction.REQUEST:
            self._bounds(here, old, new)

        old_variants = self._non_null(self.old, old.variants)
        new_variants = self._non_null(self.new, new.variants)

        # A nullable value (`X | None`) compares as X once the null is accounted for above.
        def inner(old_node: Json, new_node: Json) -> None:
            self.schema(
                where,
                old_node,
                new_node,
                direction,
                ancestors,
                field_path=field_path,
                types_compared=True,
            )

        if len(old_variants) == 1 and len(new_variants) == 1:
            inner(old_variants[0], new_variants[0])
        elif len(old_variants) == 1 and not new_variants and new.types - {"null"}:
            inner(old_variants[0], self._without_variants(new_raw))
        elif len(new_variants) == 1 and not old_variants and old.types - {"null"}:
            inner(self._without_variants(old_raw, old=True), new_variants[0])
        elif old_variants or new_variants:
            self._variants(where, old_variants, new_variants, direction, ancestors, field_path)

        if "object" in old.types and "object" in new.types:
            self._object(where, old, new, direction, ancestors, field_path)
        if old.items is not None and new.items is not None:
            self.schema(
                where, old.items, new.items, direction, ancestors, field_path=f"{field_path}[]"
            )

    def _without_variants(self, raw: Json, *, old: bool = False) -> Json:
        node, _ = _resolve(self.old if old else self.new, raw)
        return {k: v for k, v in node.items() if k not in _COMBINERS}

    def _types(self, where: str, old: set[str], new: set[str], direction: Direction) -> None:
        shown = f"type changed from {_show(old)} to {_show(new)}"
        # A request must still accept all it accepted; a response must not send anything new.
        ok = _covers(new, old) if direction is Direction.REQUEST else _covers(old, new)
        if ok:
            self.compatible(where, shown)
        elif direction is Direction.RESPONSE and new - {"null"} == old - {"null"}:
            self.breaking(where, f"{shown}: the response field may now be null")
        else:
            self.breaking(where, shown)

    def _enum(
        self, where: str, old: list[Any] | None, new: list[Any] | None, direction: Direction
    ) -> None:
        if old is None and new is None:
            return
        if old is None:
            assert new is not None
            if direction is Direction.REQUEST:
                self.breaking(where, f"input restricted to {new}")
            else:
                self.compatible(where, f"output restricted to {new}")
            return
        if new is None:
            if direction is Direction.REQUEST:
                self.compatible(where, "input no longer restricted to a list of values")
            else:
                self.breaking(where, "output no longer restricted to a list of values")
            return
        removed = [value for value in old if value not in new]
        added = [value for value in new if value not in old]
        if removed:
            if direction is Direction.REQUEST:
                self.breaking(where, f"accepted values removed: {removed}")
            else:
                self.compatible(where, f"values no longer sent: {removed}")
        if added:
            # An addition; frontends with an exhaustive switch over the values must handle it.
            self.compatible(where, f"values added: {added}")

    def _format(self, where: str, old: str | None, new: str | None, direction: Direction) -> None:
        if old == new:
            return
        loosened = new is None if direction is Direction.REQUEST else old is None
        what = f"format changed from {old or 'none'} to {new or 'none'}"
        if loosened:
            self.compatible(where, what)
        else:
            self.breaking(where, what)

    def _bounds(self, where: str, old: _Shape, new: _Shape) -> None:
        """Request constraints: accepting less than before is breaking."""
        for name in (*_NUMERIC_FLOORS, *_NUMERIC_CEILINGS):
            before, after = old.bounds.get(name), new.bounds.get(name)
            if before == after or isinstance(before, bool) or isinstance(after, bool):
                continue
            floor = name in _NUMERIC_FLOORS
            if after is None:
                tightened = False
            elif before is None:
                tightened = True
            else:
                tightened = after > before if floor else after < before
            what = f"{name} changed from {before} to {after}"
            if tightened:
                self.breaking(where, what)
            else:
                self.compatible(where, what)
        if old.pattern != new.pattern:
            if new.pattern is None:
                self.compatible(where, f"pattern {old.pattern!r} removed")
            else:
                self.breaking(where, f"pattern changed from {old.pattern!r} to {new.pattern!r}")

    def _variants(
        self,
        where: str,
        old: list[Json],
        new: list[Json],
        direction: Direction,
        ancestors: tuple[tuple[str, str], ...],
        field_path: str,
    ) -> None:
        """Unions of several shapes: variants are matched by the model they name."""
        old_named = {ref: v for v in old if (ref := v.get("$ref"))}
        new_named = {ref: v for v in new if (ref := v.get("$ref"))}
        here = f"{where} {field_path}".rstrip() if field_path else where
        for ref, variant in old_named.items():
            name = ref.rsplit("/", 1)[-1]
            if ref in new_named:
                self.schema(
                    where, variant, new_named[ref], direction, ancestors, field_path=field_path
                )
            elif direction is Direction.REQUEST:
                self.breaking(here, f"variant {name} no longer accepted")
            else:
                self.compatible(here, f"variant {name} no longer sent")
        for ref in new_named.keys() - old_named.keys():
            name = ref.rsplit("/", 1)[-1]
            if direction is Direction.REQUEST:
                self.compatible(here, f"variant {name} accepted")
            else:
                self.breaking(here, f"variant {name} may be sent")

    def _object(
        self,
        where: str,
        old: _Shape,
        new: _Shape,
        direction: Direction,
        ancestors: tuple[tuple[str, str], ...],
        field_path: str,
    ) -> None:
        def child(name: str) -> str:
            return f"{field_path}.{name}" if field_path else name

        kind = "response field" if direction is Direction.RESPONSE else "request field"
        for name, old_property in old.properties.items():
            here = f"{where} {child(name)}"
            if name not in new.properties:
                self.breaking(here, f"{kind} removed")
                continue
            was, now = name in old.required, name in new.required
            if direction is Direction.RESPONSE and was and not now:
                self.breaking(here, "response field may now be absent (no longer required)")
            elif direction is Direction.RESPONSE and now and not was:
                self.compatible(here, "response field now always present")
            elif direction is Direction.REQUEST and now and not was:
                self.breaking(here, "request field made required")
            elif direction is Direction.REQUEST and was and not now:
                self.compatible(here, "request field made optional")
            self.schema(
                where,
                old_property,
                new.properties[name],
                direction,
                ancestors,
                field_path=child(name),
            )
        for name in new.properties.keys() - old.properties.keys():
            here = f"{where} {child(name)}"
            if direction is Direction.REQUEST and name in new.required:
                self.breaking(here, "required request field added")
            else:
                self.compatible(here, f"{kind} added")
        if isinstance(old.additional, Mapping) and isinstance(new.additional, Mapping):
            self.schema(
                where, old.additional, new.additional, direction, ancestors, field_path=child("*")
            )
        elif (
            direction is Direction.REQUEST
            and old.additional is not False
            and (new.additional is False)
        ):
            self.breaking(f"{where} {field_path}".rstrip(), "unknown request fields now rejected")


def _show(types: set[str]) -> str:
    return "|".join(sorted(types)) or _ANY


# --- command line ---------------------------------------------------------------------------------

CONTRACT_PATH = "openapi/openapi.json"


def load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def committed(ref: str = "HEAD", path: str = CONTRACT_PATH, cwd: Path | None = None) -> Json:
    """The contract as committed at ``ref``: what frontends were last given.

    Comparing with the commit rather than the working-tree file means that regenerating the file
    does not hide a change from the guard. A ref without the file (the first commit) has no
    contract yet, so everything counts as added.
    """
    try:
        shown = subprocess.run(
            ["git", "show", f"{ref}:{path}"],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        raise RuntimeError("git is needed to read the committed contract") from None
    if shown.returncode == 0:
        document: dict[str, Any] = json.loads(shown.stdout)
        return document
    exists = subprocess.run(
        ["git", "cat-file", "-e", f"{ref}^{{commit}}"], cwd=cwd, capture_output=True, check=False
    )
    if exists.returncode == 0:
        return {"openapi": "3.1.0", "info": {"version": "0.0.0"}, "paths": {}}
    raise RuntimeError(f"cannot read {path} at {ref!r}: {shown.stderr.strip()}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.openapi_diff",
        description="Classify the changes between a published contract and the app's.",
    )
    base = parser.add_mutually_exclusive_group()
    base.add_argument(
        "--base-ref",
        default="HEAD",
        help=f"git ref whose {CONTRACT_PATH} is the published contract (default: HEAD)",
    )
    base.add_argument("--base", type=Path, help="a contract file to compare with instead")
    parser.add_argument(
        "--new", type=Path, help="the new contract (default: the one the app generates now)"
    )
    args = parser.parse_args(argv)
    old: Json
    if args.base is not None:
        old, old_label = load(args.base), str(args.base)
    else:
        old, old_label = committed(args.base_ref), f"{CONTRACT_PATH} at {args.base_ref}"
    if args.new is None:
        from bff.cli import openapi_document

        new: Json = openapi_document()
        new_label = "the app"
    else:
        new, new_label = load(args.new), str(args.new)
    report = compare(old, new)
    print(f"openapi-check: {old_label} -> {new_label}")
    print(report.render())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
