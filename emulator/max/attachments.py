"""AttachmentRequests turned into the Attachments a message shows, with MAX's rules.

Keyboards: up to 210 buttons in up to 30 rows, up to 7 a row, or 3 in a row holding a link,
open_app, request_geo_location or request_contact button (dev.max.ru, "Клавиатура").
A file, audio, sticker or contact must be the message's only attachment (the schema's
descriptions); at most 12 images and videos in one message. Uploaded tokens may be refused
with attachment.not.ready while "processed" (state.UploadPolicy).
"""

from __future__ import annotations

import re
from typing import Any

from emulator.max.errors import bad_request
from emulator.max.state import MaxEmulator, Media

JSON = dict[str, Any]

MAX_ROWS = 30
MAX_BUTTONS = 210
MAX_ROW = 7
MAX_WIDE_ROW = 3
WIDE_BUTTONS = frozenset({"link", "open_app", "request_geo_location", "request_contact"})
MAX_MEDIA = 12
ALONE = frozenset({"file", "audio", "sticker", "contact"})
_URL = re.compile(r"^https?://\S+$")


def build(emu: MaxEmulator, requests: list[JSON]) -> list[JSON]:
    """The Attachments of a message from its (schema-valid) AttachmentRequests."""
    kinds = [r["type"] for r in requests]
    if kinds.count("inline_keyboard") > 1:
        raise bad_request("only one inline_keyboard may be attached")
    if any(k in ALONE for k in kinds) and len(kinds) > 1:
        alone = next(k for k in kinds if k in ALONE)
        raise bad_request(f"a {alone} attachment must be the only attachment of a message")
    if sum(k in ("image", "video") for k in kinds) > MAX_MEDIA:
        raise bad_request(f"at most {MAX_MEDIA} images and videos in one message")
    result: list[JSON] = []
    for request in requests:
        result += _one(emu, request)
    return result


def _one(emu: MaxEmulator, request: JSON) -> list[JSON]:
    kind, payload = request["type"], request.get("payload") or {}
    if kind == "inline_keyboard":
        return [{"type": "inline_keyboard", "payload": {"buttons": keyboard(payload["buttons"])}}]
    if kind == "image":
        return _images(emu, payload)
    if kind in ("video", "audio", "file"):
        media = _media(emu, payload.get("token"), kind)
        return [media_attachment(emu, media)]
    if kind == "location":
        return [
            {"type": "location", "latitude": request["latitude"], "longitude": request["longitude"]}
        ]
    if kind == "sticker":
        code = payload["code"]
        url = f"{emu.base_url}/_stickers/{code}"
        return [
            {"type": "sticker", "payload": {"url": url, "code": code}, "width": 512, "height": 512}
        ]
    if kind == "contact":
        contact = {k: payload[k] for k in ("vcf_info",) if payload.get(k) is not None}
        return [{"type": "contact", "payload": contact}]
    if kind == "share":
        if not payload.get("url") and not payload.get("token"):
            raise bad_request("a share attachment needs url or token")
        return [{"type": "share", "payload": dict(payload)}]
    raise bad_request(f"attachment type {kind} is not supported")


def _images(emu: MaxEmulator, payload: JSON) -> list[JSON]:
    given = [k for k in ("url", "token", "photos") if payload.get(k)]
    if len(given) != 1:
        raise bad_request("an image needs exactly one of url, token or photos")
    if given[0] == "url":
        media = emu.store_media("image", b"", payload["url"].rsplit("/", 1)[-1], None)
        return [media_attachment(emu, media)]
    if given[0] == "token":
        return [media_attachment(emu, _media(emu, payload["token"], "image"))]
    return [
        media_attachment(emu, _media(emu, photo.get("token"), "image"))
        for photo in payload["photos"].values()
    ]


def _media(emu: MaxEmulator, token: Any, kind: str) -> Media:
    media = emu.media.get(token) if isinstance(token, str) else None
    if media is None or media.kind != kind:
        raise bad_request(f"unknown {kind} token")
    emu.attachable(media)
    return media


def media_attachment(emu: MaxEmulator, media: Media) -> JSON:
    """The Attachment a message shows for uploaded media."""
    url = emu.file_url(media)
    if media.kind == "image":
        payload = {"photo_id": media.photo_id, "token": media.token, "url": url}
        return {"type": "image", "payload": payload}
    if media.kind == "file":
        return {
            "type": "file",
            "payload": {"url": url, "token": media.token},
            "filename": media.filename,
            "size": len(media.data),
        }
    return {"type": media.kind, "payload": {"url": url, "token": media.token}}


def keyboard(rows: list[list[JSON]]) -> list[list[JSON]]:
    """Buttons as the message shows them, after MAX's layout and value checks."""
    if not rows or len(rows) > MAX_ROWS:
        raise bad_request(f"a keyboard has 1 to {MAX_ROWS} rows")
    if sum(len(row) for row in rows) > MAX_BUTTONS:
        raise bad_request(f"a keyboard has at most {MAX_BUTTONS} buttons")
    for row in rows:
        limit = MAX_WIDE_ROW if any(b["type"] in WIDE_BUTTONS for b in row) else MAX_ROW
        if not row or len(row) > limit:
            raise bad_request(f"a keyboard row has 1 to {limit} such buttons")
        for button in row:
            _button(button)
    return [[dict(button) for button in row] for row in rows]


def _button(button: JSON) -> None:
    kind = button["type"]
    if kind == "link" and not _URL.match(button.get("url", "")):
        raise bad_request("a link button needs an http(s) url")
    if kind == "open_app" and not (button.get("web_app") or button.get("contact_id")):
        raise bad_request("an open_app button needs web_app or contact_id")
