"""What the agent desk needs to know: where Rasa's HTTP API is, its token, the chat platforms' tokens."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class DeskSettings:
    """Server-side settings of the desk; none of them is ever sent to an agent's browser."""

    rasa_api_url: str = field(default="http://127.0.0.1:5005",
                              metadata={"help": "Rasa server started with --enable-api (RASA_API_URL)."})
    rasa_token: str = field(default="", repr=False,
                            metadata={"help": "Rasa's --auth-token (RASA_AUTH_TOKEN); empty when the API has none."})
    database_url: str | None = field(default=None, metadata={"help": "Store database (STORE_DATABASE_URL)."})
    slack_token: str = field(default="", repr=False,
                             metadata={"help": "Bot token the desk posts Slack replies with (SLACK_BOT_TOKEN)."})
    slack_api_url: str | None = field(default=None, metadata={"help": "Slack Web API base (SLACK_API_URL; tests use a double)."})
    cookie_secure: bool = field(default=False,
                                metadata={"help": "Mark the session cookie Secure (DESK_COOKIE_SECURE=1 behind HTTPS)."})
    session_hours: float = field(default=8.0, metadata={"help": "Absolute lifetime of an agent session (DESK_SESSION_HOURS)."})
    idle_minutes: float = field(default=60.0, metadata={"help": "A session unused this long is closed (DESK_IDLE_MINUTES)."})
    rasa_timeout_s: float = field(default=30.0, metadata={"help": "Timeout of one Rasa API call."})

    @classmethod
    def from_env(cls, rasa_api_url: str | None = None, database_url: str | None = None,
                 env: Mapping[str, str] | None = None) -> DeskSettings:
        """Settings from the environment; explicit arguments win."""
        env = os.environ if env is None else env
        return cls(
            rasa_api_url=rasa_api_url or env.get("RASA_API_URL") or cls.rasa_api_url,
            rasa_token=env.get("RASA_AUTH_TOKEN", ""),
            database_url=database_url or env.get("STORE_DATABASE_URL") or None,
            slack_token=env.get("SLACK_BOT_TOKEN", ""),
            slack_api_url=env.get("SLACK_API_URL") or None,
            cookie_secure=env.get("DESK_COOKIE_SECURE", "") == "1",
            session_hours=float(env.get("DESK_SESSION_HOURS") or cls.session_hours),
            idle_minutes=float(env.get("DESK_IDLE_MINUTES") or cls.idle_minutes),
        )
