"""Short-lived signed links to evidence files: a browser's download cannot carry initData."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from urllib.parse import urlencode

LINK_LIFETIME = timedelta(minutes=10)


def _key(token: str) -> bytes:
    # v2: links name internal person ids (no longer Telegram ids); older links are void.
    return hashlib.sha256(f"kurator-file-links-v2:{token}".encode()).digest()


def _signature(token: str, evidence_id: int, user_id: int, expires: int) -> str:
    message = f"{evidence_id}:{user_id}:{expires}".encode()
    return hmac.new(_key(token), message, hashlib.sha256).hexdigest()[:32]


def file_query(token: str, evidence_id: int, user_id: int, now: datetime) -> str:
    """The query string of a link valid for LINK_LIFETIME for this person only."""
    expires = int((now + LINK_LIFETIME).timestamp())
    signature = _signature(token, evidence_id, user_id, expires)
    return urlencode({"u": user_id, "e": expires, "s": signature})


def check(token: str, evidence_id: int, query: dict[str, str], now: datetime) -> int | None:
    """The person (internal id) the link was made for, or None when it is forged or expired."""
    try:
        user_id, expires = int(query["u"]), int(query["e"])
    except (KeyError, ValueError):
        return None
    expected = _signature(token, evidence_id, user_id, expires)
    if not hmac.compare_digest(expected, query.get("s", "")):
        return None
    return user_id if now.timestamp() <= expires else None
