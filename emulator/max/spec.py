"""The official MAX Bot API schema (OpenAPI 3.0, 0.0.32, snapshot of 1 July 2026) as data.

`max_bot_api.json` is a verbatim copy (see MAX_BOT_API_LICENSE); DEVIATIONS are the later
documented changes the emulator follows instead, applied in memory to `schema()`.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

SCHEMA_FILE = "max_bot_api.json"

JSON = dict[str, Any]


@dataclass(frozen=True)
class Deviation:
    """One place where the emulator answers as the documentation says now, not the snapshot."""

    where: str
    why: str
    apply: Callable[[JSON], None]


def _chat_types(doc: JSON) -> None:
    doc["components"]["schemas"]["ChatType"]["enum"] = ["chat", "dialog", "channel"]


def _bot_added_without_user(doc: JSON) -> None:
    extension = doc["components"]["schemas"]["BotAddedToChatUpdate"]["allOf"][1]
    del extension["properties"]["user"]
    extension["required"].remove("user")


def _results_with_code(doc: JSON) -> None:
    result = doc["components"]["schemas"]["SimpleQueryResult"]
    result["properties"]["code"] = {"type": "string"}


DEVIATIONS = (
    Deviation(
        "ChatType.enum",
        "the enum lists only 'chat', while Chat.type's own description lists chat, channel and "
        "dialog, and dialogs arrive as recipient.chat_type 'dialog'",
        _chat_types,
    ),
    Deviation(
        "BotAddedToChatUpdate.user",
        "changelog, November 2026: bot_added no longer carries `user`",
        _bot_added_without_user,
    ),
    Deviation(
        "SimpleQueryResult.code",
        "changelog, November 2026: a result with success false also carries the error `code`",
        _results_with_code,
    ),
)


@cache
def raw_schema() -> JSON:
    """The snapshot exactly as published."""
    text = resources.files("emulator.max").joinpath(SCHEMA_FILE).read_text("utf-8")
    data: JSON = json.loads(text)
    return data


@cache
def schema() -> JSON:
    """The snapshot with DEVIATIONS applied: what the emulator is checked against."""
    doc = copy.deepcopy(raw_schema())
    for deviation in DEVIATIONS:
        deviation.apply(doc)
    return doc


def component(name: str) -> JSON:
    """A component schema by name."""
    found: JSON = schema()["components"]["schemas"][name]
    return found


def ref(name: str) -> JSON:
    """A `$ref` to a component schema, as the validator takes it."""
    return {"$ref": f"#/components/schemas/{name}"}


def operation(verb: str, path: str) -> JSON:
    """The operation object of `verb path` (verb in any case)."""
    found: JSON = schema()["paths"][path][verb.lower()]
    return found


def operations() -> list[tuple[str, str]]:
    """Every (VERB, path) the schema defines."""
    return [
        (verb.upper(), path)
        for path, item in schema()["paths"].items()
        for verb in item
        if verb in ("get", "post", "put", "patch", "delete")
    ]


def parameters(verb: str, path: str, where: str = "query") -> dict[str, JSON]:
    """Parameters of an operation found `where` (query or path), by name."""
    return {
        p["name"]: p for p in operation(verb, path).get("parameters", []) if p.get("in") == where
    }


def required_parameters(verb: str, path: str) -> set[str]:
    """Query parameters the schema marks required."""
    return {name for name, p in parameters(verb, path).items() if p.get("required")}


def request_body(verb: str, path: str) -> tuple[JSON, bool] | None:
    """The JSON body schema of an operation and whether the body is required."""
    body = operation(verb, path).get("requestBody")
    if body is None:
        return None
    found: JSON = body["content"]["application/json"]["schema"]
    return found, bool(body.get("required"))


def response_schema(verb: str, path: str, status: int = 200) -> JSON | None:
    """The JSON schema of an operation's answer with `status`, shared responses resolved."""
    answer = operation(verb, path).get("responses", {}).get(str(status))
    if answer is None:
        return None
    if "$ref" in answer:
        answer = schema()["components"]["responses"][answer["$ref"].rsplit("/", 1)[1]]
    found: JSON | None = answer.get("content", {}).get("application/json", {}).get("schema")
    return found


def update_types() -> list[str]:
    """Every update_type the schema defines (the Update discriminator)."""
    return sorted(component("Update")["discriminator"]["mapping"])
