"""Who may see the dashboard: a logged-in agent of the desk (``demo_site/desk``), nothing else.

The dashboard lives under ``/desk/dashboard`` because the desk's session cookie is scoped to
``/desk``; ``/dashboard`` redirects there. This is the one place that knows how the desk checks a session.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sanic.response import HTTPResponse

from demo_site.desk.settings import DeskSettings
from demo_site.desk.web import requires_agent

Handler = Callable[..., Awaitable[HTTPResponse]]


def agent_required(settings: DeskSettings) -> Callable[[Handler], Handler]:
    """Decorator: the handler runs only for a logged-in agent (``request.ctx.desk``); others go to /desk/login or get 401."""
    return requires_agent(settings)
