"""The desk's HTTP guard rails: templates with autoescape, security headers, cookies, sessions, CSRF."""

from __future__ import annotations

import datetime as dt
import functools
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from demo_site.desk.sessions import DeskSession, csrf_matches, current_session
from demo_site.desk.settings import DeskSettings
from services.store.db import session_scope

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "hp_desk"
LOGIN_COOKIE = "hp_desk_login"  # double-submit token of the login form (there is no session yet)
COOKIE_PATH = "/desk"
MAX_FORM_BYTES = 64 * 1024
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # "no-referrer" makes Chromium send Origin: null on our own form posts
    "Cache-Control": "no-store",
}

templates = Environment(loader=FileSystemLoader(str(HERE / "templates")), autoescape=True, undefined=StrictUndefined,
                        trim_blocks=True, lstrip_blocks=True)
templates.filters["pct"] = lambda value: "" if value is None else f"{float(value) * 100:.0f}%"
templates.filters["clock"] = lambda ts: "" if ts is None else dt.datetime.utcfromtimestamp(float(ts)).strftime("%Y-%m-%d %H:%M:%S UTC")


def secured(resp: HTTPResponse) -> HTTPResponse:
    resp.headers.update(SECURITY_HEADERS)
    return resp


def page(name: str, status: int = 200, **context: Any) -> HTTPResponse:
    """Render an HTML template (every value escaped unless the template says otherwise)."""
    return secured(response.html(templates.get_template(name).render(**context), status=status))


def error_page(request: Request, status: int, message: str) -> HTTPResponse:
    if wants_json(request):
        return secured(response.json({"error": message}, status=status))
    return page("error.html", status=status, status_code=status, message=message, desk=getattr(request.ctx, "desk", None))


def wants_json(request: Request) -> bool:
    return request.path.startswith(f"{COOKIE_PATH}/api/")


def set_cookie(resp: HTTPResponse, name: str, value: str, settings: DeskSettings, max_age: int) -> None:
    resp.cookies[name] = value
    cookie = resp.cookies[name]
    cookie["path"] = COOKIE_PATH
    cookie["httponly"] = True
    cookie["samesite"] = "Strict"
    cookie["max-age"] = max_age
    if settings.cookie_secure:
        cookie["secure"] = True


def clear_cookie(resp: HTTPResponse, name: str, settings: DeskSettings) -> None:
    set_cookie(resp, name, "", settings, 0)


def new_login_token() -> str:
    return secrets.token_urlsafe(24)


def same_origin(request: Request) -> bool:
    """False when the browser says the request comes from another site (Origin, or failing that Referer)."""
    expected = f"{request.scheme}://{request.host}"
    origin = request.headers.get("origin")
    if origin is not None:
        return origin == expected  # "null" (sandboxed frames, some redirects) is refused too
    referer = request.headers.get("referer")
    if referer:
        return "/".join(referer.split("/")[:3]) == expected
    return True  # no header: the CSRF token decides


def submitted_csrf(request: Request) -> str | None:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    try:
        return request.form.get(CSRF_FIELD) if request.form else None
    except Exception:  # a body that is not a form has no token; the caller answers 403
        return None


Handler = Callable[..., Awaitable[HTTPResponse]]


def requires_agent(settings: DeskSettings) -> Callable[[Handler], Handler]:
    """Decorator: a logged-in agent (else login page or 401), and on POST a same-site request with the session's CSRF token."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def guarded(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
            idle = dt.timedelta(minutes=settings.idle_minutes)
            with session_scope(settings.database_url) as db:
                desk = current_session(db, request.cookies.get(SESSION_COOKIE), idle)
            if desk is None:
                if wants_json(request) or request.method != "GET":
                    resp = error_page(request, 401, "Log in to the agent desk first.")
                else:
                    resp = secured(response.redirect(f"{COOKIE_PATH}/login", status=303))
                if request.cookies.get(SESSION_COOKIE):
                    clear_cookie(resp, SESSION_COOKIE, settings)
                return resp
            request.ctx.desk = desk
            if request.method == "POST":
                refusal = csrf_refusal(request, desk)
                if refusal:
                    return error_page(request, *refusal)
            return await handler(request, *args, **kwargs)

        return guarded

    return decorate


def csrf_refusal(request: Request, desk: DeskSession) -> tuple[int, str] | None:
    """Status and reason to refuse a POST (too big, cross-site, no or wrong CSRF token), or None."""
    if len(request.body or b"") > MAX_FORM_BYTES:
        return 413, f"The form is larger than {MAX_FORM_BYTES // 1024} KB."
    if not same_origin(request):
        return 403, "Cross-site request refused."
    if not csrf_matches(desk.csrf_token, submitted_csrf(request)):
        return 403, "The form's security token is missing or out of date: reload the page and try again."
    return None
