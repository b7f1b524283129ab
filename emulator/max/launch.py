"""Mini App launch data as MAX signs it (dev.max.ru/docs/webapps/validation).

The page's address fragment carries `WebAppData` (the signed launch parameters) beside
platform parameters that are not signed (`WebAppPlatform`, `WebAppVersion`). The signature is
Telegram's initData scheme: `hash` = hex HMAC-SHA256(key = HMAC-SHA256(key "WebAppData",
bot token), the other parameters URL-decoded, sorted by key, as "key=value" lines).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any
from urllib.parse import quote, urlencode

PLATFORM = "web"
VERSION = "25.12.0"


def sign_launch_data(token: str, fields: dict[str, str]) -> str:
    """The `WebAppData` string: `fields` and their `hash`, URL-encoded."""
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    signed = {**fields, "hash": hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()}
    return urlencode(signed, quote_via=quote)


def launch_fields(
    user: dict[str, Any],
    *,
    auth_date: int,
    query_id: str,
    start_param: str | None = None,
) -> dict[str, str]:
    """The launch parameters of one opening: JSON objects serialised compactly."""
    fields = {
        "auth_date": str(auth_date),
        "query_id": query_id,
        "user": json.dumps(user, ensure_ascii=False, separators=(",", ":")),
    }
    if start_param is not None:
        fields["start_param"] = start_param
    return fields


def fragment(web_app_data: str) -> str:
    """The address fragment (after `#`) a page opened by MAX gets."""
    return urlencode(
        {"WebAppData": web_app_data, "WebAppPlatform": PLATFORM, "WebAppVersion": VERSION},
        quote_via=quote,
    )
