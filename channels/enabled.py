"""Which channels a run serves: the always-on ones of credentials.yml plus those the environment enables.

    python -m channels.enabled runtime/credentials.yml

Slack and Telegram need secrets that must never sit in the repository, so their blocks are
added only when every variable they need is set (``CHANNELS`` below). ``make run`` writes the result
into the git-ignored runtime directory and passes it to ``rasa run --credentials``.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[1]
BASE_CREDENTIALS = PROJECT_ROOT / "credentials.yml"


@dataclass(frozen=True)
class OptionalChannel:
    """A channel block: Rasa's credentials key, the variables it needs, and how they map onto its keys."""

    key: str
    required: Mapping[str, str]  # credentials key -> environment variable (all must be set)
    optional: Mapping[str, str] = field(default_factory=dict)  # credentials key -> variable (used when set)
    fixed: Mapping[str, object] = field(default_factory=dict)

    def block(self, env: Mapping[str, str]) -> dict | None:
        """The credentials block, or None when a required variable is missing or empty."""
        if not all(env.get(var) for var in self.required.values()):
            return None
        values = {k: env[v] for k, v in self.required.items()}
        values.update({k: env[v] for k, v in self.optional.items() if env.get(v)})
        return {**self.fixed, **values}


CHANNELS: tuple[OptionalChannel, ...] = (
    OptionalChannel("channels.slack.SlackInput",
                    required={"slack_token": "SLACK_BOT_TOKEN", "slack_signing_secret": "SLACK_SIGNING_SECRET"},
                    optional={"api_url": "SLACK_API_URL"}),
    OptionalChannel("channels.telegram.TelegramInput",
                    required={"access_token": "TELEGRAM_TOKEN", "verify": "TELEGRAM_BOT_NAME",
                              "webhook_url": "TELEGRAM_WEBHOOK_URL", "secret_token": "TELEGRAM_SECRET_TOKEN"},
                    optional={"api_url": "TELEGRAM_API_URL"}),
)


def credentials(env: Mapping[str, str] | None = None, base: Path = BASE_CREDENTIALS) -> dict:
    """credentials.yml plus every optional channel whose variables ``env`` (default: os.environ) sets."""
    env = os.environ if env is None else env
    result = yaml.safe_load(base.read_text()) or {}
    for channel in CHANNELS:
        block = channel.block(env)
        if block is not None:
            result[channel.key] = block
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path)
    args = parser.parse_args()
    data = credentials()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(args.output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # holds tokens
    with os.fdopen(fd, "w") as f:
        yaml.safe_dump(data, f, sort_keys=False)
    print("channels: " + ", ".join(k.split(".")[-1] if "." in k else k for k in data))


if __name__ == "__main__":
    main()
