"""Green API webhook notifications, built the way Green API sends them (see
`tests/fixtures/greenapi/` and Green API's published examples): what a scenario's shorthand
steps turn into before they reach `POST /webhook/greenapi`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

FILE_TYPES = ("imageMessage", "videoMessage", "documentMessage", "audioMessage")
SHORTHAND_TYPES = ("textMessage", "extendedTextMessage", "stickerMessage", *FILE_TYPES)


def chat_id(phone: str) -> str:
    return phone if "@" in phone else f"{phone}@c.us"


def _envelope(
    type_webhook: str, instance: str, wid: str, id_message: str, at: datetime
) -> dict[str, Any]:
    return {
        "typeWebhook": type_webhook,
        "instanceData": {"idInstance": int(instance), "wid": wid, "typeInstance": "whatsapp"},
        "timestamp": int(at.timestamp()),
        "idMessage": id_message,
    }


def message_data(type_message: str, text: str | None, caption: str | None) -> dict[str, Any]:
    """`messageData` for a message a person typed or sent (text, a sticker, a photo...)."""
    if type_message == "textMessage":
        return {"typeMessage": type_message, "textMessageData": {"textMessage": text or ""}}
    if type_message == "extendedTextMessage":
        return {
            "typeMessage": type_message,
            "extendedTextMessageData": {
                "text": text or "",
                "description": "",
                "title": "",
                "previewType": "None",
                "jpegThumbnail": "",
                "forwardingScore": 0,
                "isForwarded": False,
            },
        }
    if type_message == "stickerMessage":
        return {
            "typeMessage": type_message,
            "fileMessageData": {
                "downloadUrl": "https://example.invalid/sticker.webp",
                "caption": "",
                "fileName": "sticker.webp",
                "mimeType": "image/webp",
                "isAnimated": False,
            },
        }
    if type_message in FILE_TYPES:
        extension = {
            "imageMessage": "jpg",
            "videoMessage": "mp4",
            "documentMessage": "pdf",
            "audioMessage": "ogg",
        }[type_message]
        return {
            "typeMessage": type_message,
            "fileMessageData": {
                "downloadUrl": f"https://example.invalid/file.{extension}",
                "caption": caption or text or "",
                "fileName": f"file.{extension}",
                "mimeType": f"application/{extension}",
                "forwardingScore": 0,
                "isForwarded": False,
            },
        }
    raise ValueError(
        f"no shorthand for {type_message!r}: use one of {', '.join(SHORTHAND_TYPES)}, "
        "or `deliver:` a raw payload"
    )


def incoming(
    *,
    instance: str,
    wid: str,
    chat: str,
    name: str,
    id_message: str,
    at: datetime,
    data: dict[str, Any],
) -> dict[str, Any]:
    """`incomingMessageReceived`: the buyer wrote."""
    return _envelope("incomingMessageReceived", instance, wid, id_message, at) | {
        "senderData": {
            "chatId": chat,
            "chatName": name,
            "sender": chat,
            "senderName": name,
            "senderContactName": name,
        },
        "messageData": data,
    }


def outgoing(
    type_webhook: str,
    *,
    instance: str,
    wid: str,
    chat: str,
    name: str,
    agent_name: str,
    id_message: str,
    at: datetime,
    text: str,
) -> dict[str, Any]:
    """`outgoingMessageReceived` (typed on the agent's phone) or `outgoingAPIMessageReceived`
    (the echo of a message sent through the API)."""
    return _envelope(type_webhook, instance, wid, id_message, at) | {
        "senderData": {
            "chatId": chat,
            "chatName": name,
            "sender": wid,
            "senderName": agent_name,
            "senderContactName": "",
        },
        "messageData": message_data("textMessage", text, None),
    }


def status(
    *, instance: str, wid: str, chat: str, id_message: str, at: datetime, value: str
) -> dict[str, Any]:
    """`outgoingMessageStatus`: what became of a message we sent."""
    return _envelope("outgoingMessageStatus", instance, wid, id_message, at) | {
        "chatId": chat,
        "status": value,
        "sendByApi": True,
    }
