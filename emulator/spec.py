"""The official Bot API description (a trimmed copy of shared/telegram/bot-api-10.1.json).

Source: PaulSonOfLars/telegram-bot-api-spec (MIT, see BOTAPI_SPEC_LICENSE), descriptions removed.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


@cache
def spec() -> dict[str, Any]:
    """The whole parsed spec: {"version", "methods", "types"}."""
    text = resources.files("emulator").joinpath("botapi_spec.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def method_fields(method: str) -> dict[str, dict[str, Any]]:
    """Parameters of a method by name."""
    return {f["name"]: f for f in spec()["methods"][method]["fields"]}


def required_params(method: str) -> list[str]:
    """Names of the parameters Telegram requires for `method`."""
    return [name for name, f in method_fields(method).items() if f["required"]]


def type_fields(type_name: str) -> dict[str, dict[str, Any]]:
    """Fields of an API object type by name."""
    return {f["name"]: f for f in spec()["types"][type_name]["fields"]}
