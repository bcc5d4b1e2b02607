"""The agent desk's pages and API under /desk (a Sanic blueprint the demo site registers)."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import asdict

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from components.emotion.labels import LABELS
from demo_site.desk.accounts import AgentView, authenticate
from demo_site.desk.conversation import Conversation, from_tracker, shopper_turn_at, ticket_turn_at
from demo_site.desk.corrections import correction_view, record_correction
from demo_site.desk.queue import can_see, load_queues
from demo_site.desk.relay import CannotPush, DeliveryFailed, channel_name, hand_back, push_problem, send_reply
from demo_site.desk.sessions import end_session, start_session
from demo_site.desk.settings import DeskSettings
from demo_site.desk.ticket_context import load_ticket, mark_in_progress, read_conversation, ticket_context
from demo_site.desk.web import (
    COOKIE_PATH,
    HERE,
    LOGIN_COOKIE,
    MAX_FORM_BYTES,
    SESSION_COOKIE,
    clear_cookie,
    error_page,
    new_login_token,
    page,
    requires_agent,
    same_origin,
    secured,
    set_cookie,
)
from services.learning.queue import enqueue_correction
from services.rasa_api import RasaApi, RasaApiError
from services.store.db import session_scope
from services.store.models import Ticket

TicketHandler = Callable[[Request, Ticket], Awaitable[HTTPResponse]]

NOTICES = {
    "sent": "Reply sent to the shopper.",
    "handed_back": "Handed back: the bot greeted the shopper and takes the next message.",
    "handed_back_silent": "Handed back: the bot answers the shopper's next message (their channel cannot be pushed to).",
    "corrected": "Emotion corrected; the learning loop will read it.",
}
LOGIN_FAILED = "Wrong username or password. After 5 failed attempts the account is locked for 5 minutes."
TIMESTAMP_TOLERANCE = 1e-6


def desk_blueprint(settings: DeskSettings) -> Blueprint:
    """The desk; ``settings`` hold the Rasa API token and the chat tokens, which stay on the server."""
    bp = Blueprint("desk", url_prefix=COOKIE_PATH)
    bp.static("/static", str(HERE / "static"), name="desk_static")
    api = RasaApi(settings.rasa_api_url, settings.rasa_token, settings.rasa_timeout_s)
    guard = requires_agent(settings)

    def login_page(status: int = 200, message: str | None = None) -> HTTPResponse:
        token = new_login_token()
        resp = page("login.html", status=status, login_token=token, message=message, desk=None)
        set_cookie(resp, LOGIN_COOKIE, token, settings, 600)
        return resp

    def with_ticket(open_only: bool = False) -> Callable[[TicketHandler], Callable[..., Awaitable[HTTPResponse]]]:
        """Decorator: the ticket the agent may see (else 404/403), and with ``open_only`` one not handed back yet (else 409)."""

        def decorate(handler: TicketHandler) -> Callable[..., Awaitable[HTTPResponse]]:
            @functools.wraps(handler)
            async def wrapped(request: Request, ticket_id: int) -> HTTPResponse:
                with session_scope(settings.database_url) as db:
                    ticket = load_ticket(db, ticket_id)
                if ticket is None:
                    return error_page(request, 404, f"There is no ticket #{ticket_id}.")
                if not can_see(request.ctx.desk.agent, ticket):
                    return error_page(request, 403, f"Ticket #{ticket_id} is in the senior queue: a senior agent handles it.")
                if open_only and ticket.status == "resolved":
                    return error_page(request, 409, f"Ticket #{ticket_id} was handed back already: the bot has the conversation.")
                return await handler(request, ticket)

            return wrapped

        return decorate

    def back_to(ticket_id: int, notice: str, anchor: str = "") -> HTTPResponse:
        return secured(response.redirect(f"{COOKIE_PATH}/tickets/{ticket_id}?notice={notice}{anchor}", status=303))

    async def live_conversation(ticket: Ticket) -> Conversation:
        return from_tracker(await api.tracker(ticket.sender_id))

    @bp.get("/")
    async def home(request: Request) -> HTTPResponse:
        return secured(response.redirect(f"{COOKIE_PATH}/queue", status=303))

    @bp.get("/login")
    async def login_form(request: Request) -> HTTPResponse:
        return login_page()

    @bp.post("/login")
    async def login(request: Request) -> HTTPResponse:
        if len(request.body or b"") > MAX_FORM_BYTES or not same_origin(request):
            return login_page(403, "Login refused: the request came from another site or was too large.")
        form = request.form or {}
        cookie_token, form_token = request.cookies.get(LOGIN_COOKIE) or "", form.get("login_token") or ""
        if not cookie_token or not hmac.compare_digest(cookie_token.encode(), form_token.encode()):
            return login_page(403, "The login form expired: try again.")
        username, password = (form.get("username") or "").strip(), form.get("password") or ""

        def check() -> tuple[str, AgentView] | None:
            with session_scope(settings.database_url) as db:
                agent = authenticate(db, username, password)
                if agent is None:
                    return None
                session_id, _ = start_session(db, agent, dt.timedelta(hours=settings.session_hours))
                return session_id, agent

        result = await asyncio.to_thread(check)  # scrypt takes tens of ms: keep the event loop free
        if result is None:
            return login_page(401, LOGIN_FAILED)
        resp = secured(response.redirect(f"{COOKIE_PATH}/queue", status=303))
        set_cookie(resp, SESSION_COOKIE, result[0], settings, int(settings.session_hours * 3600))
        clear_cookie(resp, LOGIN_COOKIE, settings)
        return resp

    @bp.post("/logout")
    @guard
    async def logout(request: Request) -> HTTPResponse:
        with session_scope(settings.database_url) as db:
            end_session(db, request.cookies.get(SESSION_COOKIE))
        resp = secured(response.redirect(f"{COOKIE_PATH}/login", status=303))
        clear_cookie(resp, SESSION_COOKIE, settings)
        return resp

    @bp.get("/queue")
    @guard
    async def queue_page(request: Request) -> HTTPResponse:
        with session_scope(settings.database_url) as db:
            queues = load_queues(db, request.ctx.desk.agent)
        return page("queue.html", desk=request.ctx.desk, queues=queues, reason_names=REASON_NAMES)

    @bp.get("/api/queue")
    @guard
    async def queue_json(request: Request) -> HTTPResponse:
        with session_scope(settings.database_url) as db:
            queues = load_queues(db, request.ctx.desk.agent)
        as_json = lambda items: [{**asdict(i), "created_at": i.created_at.isoformat()} for i in items]  # noqa: E731
        return secured(response.json({"senior": as_json(queues.senior), "general": as_json(queues.general)}))

    @bp.get("/tickets/<ticket_id:int>")
    @guard
    @with_ticket()
    async def ticket_page(request: Request, ticket: Ticket) -> HTTPResponse:
        context = await ticket_context(settings.database_url, api, ticket)
        return page("ticket.html", desk=request.ctx.desk, c=context, notice=NOTICES.get(request.args.get("notice", "")),
                    push_problem=push_problem(context.conversation.channel, settings),
                    channel=channel_name(context.conversation.channel), labels=LABEL_CHOICES)

    @bp.get("/api/tickets/<ticket_id:int>")
    @guard
    @with_ticket()
    async def ticket_json(request: Request, ticket: Ticket) -> HTTPResponse:
        conversation, error = await read_conversation(api, ticket)
        state = {"id": ticket.id, "status": ticket.status, "reason": ticket.reason, "channel": conversation.channel,
                 "paused": conversation.paused, "events": conversation.event_count, "source": conversation.source, "error": error}
        if request.args.get("fields") != "state":  # the page's poll asks only for the state
            state.update(hidden_turns=conversation.hidden_turns, turns=[asdict(t) for t in conversation.turns])
        return secured(response.json(state))

    @bp.post("/tickets/<ticket_id:int>/reply")
    @guard
    @with_ticket(open_only=True)
    async def reply(request: Request, ticket: Ticket) -> HTTPResponse:
        try:
            conversation = await live_conversation(ticket)
            await send_reply(api, settings, ticket.sender_id, conversation, request.ctx.desk.agent, (request.form or {}).get("text") or "")
        except ValueError as error:
            return error_page(request, 400, f"Not sent: {error}.")
        except CannotPush as error:
            return error_page(request, 409, f"Not sent. {error}")
        except (DeliveryFailed, RasaApiError) as error:
            return error_page(request, 502, f"Not sent: {error}")
        with session_scope(settings.database_url) as db:
            mark_in_progress(db, ticket.id)
        return back_to(ticket.id, "sent")

    @bp.post("/tickets/<ticket_id:int>/handback")
    @guard
    @with_ticket(open_only=True)
    async def handback(request: Request, ticket: Ticket) -> HTTPResponse:
        resolution = (request.form or {}).get("resolution") or ""
        try:
            delivery = await hand_back(api, settings, ticket.sender_id, await live_conversation(ticket), request.ctx.desk.agent, resolution)
        except ValueError as error:
            return error_page(request, 400, f"Not handed back: {error}.")
        except (DeliveryFailed, RasaApiError) as error:
            return error_page(request, 502, f"Hand-back failed: {error}")
        return back_to(ticket.id, "handed_back" if delivery.messages else "handed_back_silent")

    @bp.post("/tickets/<ticket_id:int>/correct")
    @guard
    @with_ticket()
    async def correct(request: Request, ticket: Ticket) -> HTTPResponse:
        form = request.form or {}
        try:
            index = int(form.get("turn", ""))
        except ValueError:
            return error_page(request, 400, "The correction names no turn.")
        if form.get("source") == "ticket":
            turn = ticket_turn_at(ticket, index)
        else:
            try:
                turn = shopper_turn_at(await api.tracker(ticket.sender_id), index)
            except RasaApiError as error:
                return error_page(request, 502, f"Not saved: {error}")
            if turn is not None and not _same_timestamp(form.get("ts"), turn.timestamp):
                return error_page(request, 409, "The conversation changed since the page was loaded: reload it and correct again.")
        if turn is None:
            return error_page(request, 404, f"The conversation has no shopper turn {index}.")
        try:
            with session_scope(settings.database_url) as db:
                correction = record_correction(db, request.ctx.desk.agent, ticket.sender_id, turn, form.get("label") or "", ticket.id)
                enqueue_correction(db, correction_view(db, correction))  # the review queue takes it when it disagrees with the model
        except ValueError as error:
            return error_page(request, 400, f"Not saved: {error}.")
        return back_to(ticket.id, "corrected", f"#turn-{index}")

    return bp


def _same_timestamp(submitted: str | None, actual: float | None) -> bool:
    if actual is None:
        return not submitted
    try:
        return abs(float(submitted or "nan") - actual) <= TIMESTAMP_TOLERANCE
    except ValueError:
        return False


REASON_NAMES = {"requested": "asked for a person", "threat": "threat", "angry_unresolved": "anger", "sustained_frustration": "frustration",
                "nlu_failures": "not understood", "verification_failed": "verification", "delivery_problem": "delivery",
                "complaint": "complaint", "payment_problem": "payment"}
LABEL_CHOICES = LABELS
