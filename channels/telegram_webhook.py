"""Tell Telegram where to deliver the bot's updates (setWebhook with the channel's URL and secret token).

    make telegram-webhook            # python -m channels.telegram_webhook [--drop-pending-updates]

Reads the TELEGRAM_* variables ``channels.enabled`` reads (TELEGRAM_API_URL is optional), checks with
getMe that the token belongs to TELEGRAM_BOT_NAME, then calls setWebhook. Rasa never does this itself
(channels/telegram.py), so it starts offline; run this once per deployment, or when the URL or the
secret token changes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Mapping
from urllib.parse import urlparse

from aiogram.types import WebhookInfo
from aiogram.utils.exceptions import TelegramAPIError
from rasa.shared.exceptions import RasaException

from channels.enabled import CHANNELS
from channels.telegram import TelegramInput

TELEGRAM = next(channel for channel in CHANNELS if channel.key == "channels.telegram.TelegramInput")
ALLOWED_UPDATES = ("message", "edited_message", "callback_query")  # what channels.telegram reads


class WebhookError(Exception):
    """The configuration cannot be sent to Telegram as it is."""


def channel_from_env(env: Mapping[str, str]) -> TelegramInput:
    """The configured channel; :class:`WebhookError` names what is missing or wrong."""
    missing = [var for var in TELEGRAM.required.values() if not env.get(var)]
    if missing:
        raise WebhookError(f"set {', '.join(missing)} (docs/telegram.md)")
    try:
        channel = TelegramInput.from_credentials(TELEGRAM.block(env))
    except RasaException as error:
        raise WebhookError(str(error)) from None
    if urlparse(channel.webhook_url).scheme != "https":
        raise WebhookError(f"TELEGRAM_WEBHOOK_URL must be an https URL (Telegram's rule), not {channel.webhook_url!r}")
    return channel


async def set_webhook(channel: TelegramInput, drop_pending_updates: bool = False) -> WebhookInfo:
    """getMe (the token must be ``channel.verify``'s), setWebhook, and Telegram's view of the webhook afterwards."""
    bot = channel.get_output_channel()
    try:
        me = await bot.get_me()
        if channel.verify and (me.username or "").lower() != channel.verify.lower():
            raise WebhookError(f"the token belongs to @{me.username}, not @{channel.verify} (TELEGRAM_BOT_NAME)")
        params = {"url": channel.webhook_url, "secret_token": channel.secret_token, "allowed_updates": json.dumps(ALLOWED_UPDATES)}
        if drop_pending_updates:
            params["drop_pending_updates"] = "true"
        await bot.request("setWebhook", params)  # aiogram 2.15's set_webhook predates secret_token
        return await bot.get_webhook_info()
    finally:
        await bot.session.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drop-pending-updates", action="store_true", help="discard the updates Telegram holds for the bot")
    args = parser.parse_args(argv)
    try:
        channel = channel_from_env(os.environ)
    except WebhookError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        info = asyncio.run(set_webhook(channel, args.drop_pending_updates))
    except WebhookError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except TelegramAPIError as error:
        print(f"error: Telegram refused: {error}", file=sys.stderr)
        return 1
    print(f"webhook set: {info.url} (pending updates: {info.pending_update_count or 0})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
