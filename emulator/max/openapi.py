"""A small validator for the OpenAPI 3.0 subset the MAX schema uses, with objects closed.

`$ref`, `allOf` (merged), `discriminator` (with mapping), `nullable`, `enum`, the primitive
types with int32/int64 ranges, string and array bounds, `pattern`, `additionalProperties`.
Unlike plain OpenAPI, a key no schema part names is a problem: the emulator invents nothing.
Answers must carry every required key (null where nullable); a request may leave out a
required key that is nullable, as the documentation's own examples do. A required name no
property declares is ignored (MessageBody requires an undeclared `link`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]

_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
_BOUNDS = ("minLength", "maxLength", "minimum", "maximum", "minItems", "maxItems", "pattern")


@dataclass
class _Flat:
    """A schema with its allOf parts merged."""

    types: set[str] = field(default_factory=set)
    properties: dict[str, JSON] = field(default_factory=dict)
    required: set[str] = field(default_factory=set)
    additional: JSON | None = None
    enum: list[Any] | None = None
    items: JSON | None = None
    unique: bool = False
    formats: set[str] = field(default_factory=set)
    bounds: dict[str, Any] = field(default_factory=dict)


class Validator:
    """Checks JSON values against schemas of one OpenAPI document."""

    def __init__(self, document: JSON) -> None:
        self.document = document

    def problems(self, value: Any, schema: JSON, *, request: bool = False) -> list[str]:
        """Every way `value` breaks `schema` (empty when it conforms)."""
        return _Run(self, request).check(value, schema, "$")

    def resolve(self, schema: JSON) -> JSON:
        seen = 0
        while "$ref" in schema:
            node: Any = self.document
            for part in schema["$ref"].removeprefix("#/").split("/"):
                node = node[part]
            schema = node
            seen += 1
            if seen > 50:
                raise ValueError("a $ref cycle")
        return schema


@dataclass
class _Run:
    validator: Validator
    request: bool

    def check(self, value: Any, schema: JSON, path: str) -> list[str]:
        schema = self.validator.resolve(schema)
        if value is None:
            return [] if self.nullable(schema) else [f"{path}: null is not allowed"]
        target = self.dispatch(schema, value, path)
        if isinstance(target, list):
            return target
        return self.check_flat(value, self.flatten(target), path)

    def nullable(self, schema: JSON) -> bool:
        schema = self.validator.resolve(schema)
        if schema.get("nullable"):
            return True
        return any(self.nullable(part) for part in schema.get("allOf", ()))

    def dispatch(self, schema: JSON, value: Any, path: str) -> JSON | list[str]:
        """The concrete schema a discriminator picks for `value`, or the problem."""
        owner = schema
        parts = schema.get("allOf", ())
        if "discriminator" not in owner and "properties" not in owner and len(parts) == 1:
            owner = self.validator.resolve(parts[0])  # a wrapper such as {allOf: [Base]}
        discriminator = owner.get("discriminator")
        if discriminator is None or not isinstance(value, dict) or "mapping" not in discriminator:
            return schema
        name = discriminator["propertyName"]
        tag = value.get(name)
        target = discriminator["mapping"].get(tag) if isinstance(tag, str) else None
        if target is None:
            known = ", ".join(sorted(discriminator["mapping"]))
            return [f"{path}.{name}: {tag!r} is not one of {known}"]
        target_schema = target if isinstance(target, dict) else {"$ref": target}
        return self.validator.resolve(target_schema)

    def flatten(self, schema: JSON, flat: _Flat | None = None) -> _Flat:
        flat = flat or _Flat()
        schema = self.validator.resolve(schema)
        for part in schema.get("allOf", ()):
            self.flatten(part, flat)
        if "type" in schema:
            flat.types.add(schema["type"])
        flat.properties.update(schema.get("properties", {}))
        if isinstance(schema.get("required"), list):  # some properties say `required: false`
            flat.required.update(schema["required"])
        if isinstance(schema.get("additionalProperties"), dict):
            flat.additional = schema["additionalProperties"]
        if "enum" in schema:
            flat.enum = list(schema["enum"])
        if "items" in schema:
            flat.items = schema["items"]
        flat.unique = flat.unique or bool(schema.get("uniqueItems"))
        if "format" in schema:
            flat.formats.add(schema["format"])
        flat.bounds.update({k: schema[k] for k in _BOUNDS if k in schema})
        return flat

    def check_flat(self, value: Any, flat: _Flat, path: str) -> list[str]:
        if flat.enum is not None and value not in flat.enum:
            return [f"{path}: {value!r} is not one of {flat.enum}"]
        kind = next(iter(flat.types), None) if len(flat.types) == 1 else None
        if kind is None and (flat.properties or flat.additional is not None):
            kind = "object"
        if kind == "object":
            return self.check_object(value, flat, path)
        if kind == "array":
            return self.check_array(value, flat, path)
        if kind is None:
            return []  # an unconstrained value (the schema says nothing of its type)
        return _check_scalar(value, kind, flat, path)

    def check_object(self, value: Any, flat: _Flat, path: str) -> list[str]:
        if not isinstance(value, dict):
            return [f"{path}: expected an object"]
        problems = []
        for name in sorted(flat.required):
            if name in value or name not in flat.properties:
                continue  # MessageBody requires a `link` it never declares: unsatisfiable
            optional = self.request and name in flat.properties
            if optional and self.nullable(flat.properties[name]):
                continue
            problems.append(f"{path}.{name}: required")
        for key, item in value.items():
            where = f"{path}.{key}"
            if key in flat.properties:
                problems += self.check(item, flat.properties[key], where)
            elif flat.additional is not None:
                problems += self.check(item, flat.additional, where)
            elif flat.properties:
                problems.append(f"{where}: not in the schema")
        return problems

    def check_array(self, value: Any, flat: _Flat, path: str) -> list[str]:
        if not isinstance(value, list):
            return [f"{path}: expected an array"]
        problems = _bounded(len(value), flat.bounds, "minItems", "maxItems", path, "items")
        if flat.unique and len({repr(v) for v in value}) != len(value):
            problems.append(f"{path}: items are not unique")
        if flat.items is not None:
            for index, item in enumerate(value):
                problems += self.check(item, flat.items, f"{path}[{index}]")
        return problems


def _check_scalar(value: Any, kind: str, flat: _Flat, path: str) -> list[str]:
    if kind == "boolean":
        return [] if isinstance(value, bool) else [f"{path}: expected a boolean"]
    if kind in ("integer", "number"):
        numeric = isinstance(value, int) or (kind == "number" and isinstance(value, float))
        if isinstance(value, bool) or not numeric:
            return [f"{path}: expected {'an integer' if kind == 'integer' else 'a number'}"]
        problems = _bounded(value, flat.bounds, "minimum", "maximum", path, "value")
        for fmt in flat.formats & set(_RANGES):
            low, high = _RANGES[fmt]
            if not low <= value <= high:
                problems.append(f"{path}: {value} is out of {fmt}")
        return problems
    if kind == "string":
        if not isinstance(value, str):
            return [f"{path}: expected a string"]
        problems = _bounded(len(value), flat.bounds, "minLength", "maxLength", path, "length")
        pattern = flat.bounds.get("pattern")
        if isinstance(pattern, str) and re.search(pattern, value) is None:
            problems.append(f"{path}: does not match {pattern}")
        return problems
    return [f"{path}: unknown schema type {kind}"]


def _bounded(size: Any, bounds: JSON, low: str, high: str, path: str, what: str) -> list[str]:
    problems = []
    if isinstance(bounds.get(low), int | float) and size < bounds[low]:
        problems.append(f"{path}: {what} {size} is below {bounds[low]}")
    if isinstance(bounds.get(high), int | float) and size > bounds[high]:
        problems.append(f"{path}: {what} {size} is above {bounds[high]}")
    return problems
