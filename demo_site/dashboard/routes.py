"""The dashboard's pages, charts and CSV exports (Sanic blueprint; every route needs a logged-in agent).

- ``/dashboard``: redirects to ``/desk/dashboard`` (the desk's session cookie is scoped to /desk);
- ``/desk/dashboard?from=&to=``: the overview with its charts;
- ``/desk/dashboard/charts/<name>.png``, ``/desk/dashboard/export/<table>.csv``: the same range;
- ``/desk/dashboard/reviews`` and ``/desk/dashboard/reviews/<product_id>.png``: review monitoring.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from demo_site.dashboard import charts
from demo_site.dashboard.access import agent_required
from demo_site.dashboard.dates import BadRange, query_string, range_from_query
from demo_site.desk.settings import DeskSettings
from demo_site.desk.web import SECURITY_HEADERS, secured
from services.analytics import metrics as m
from services.analytics.csv_export import TABLES, export_csv
from services.analytics.reviews.summary import product_summaries, review_alerts
from services.store.db import session_scope

HERE = Path(__file__).resolve().parent
PREFIX = "/desk/dashboard"
RECENT_CONVERSATIONS = 50

# The desk's templates come second: the dashboard pages extend its base.html.
TEMPLATE_DIRS = [HERE / "templates", HERE.parent / "desk" / "templates"]
templates = Environment(loader=ChoiceLoader([FileSystemLoader(str(d)) for d in TEMPLATE_DIRS]), autoescape=True,
                        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
templates.filters["pct"] = lambda v: "–" if v is None else f"{float(v):.0%}"
templates.filters["num"] = lambda v, digits=2: "–" if v is None else f"{float(v):.{digits}f}"
templates.filters["minutes"] = lambda s: "–" if s is None else f"{float(s) / 60:.1f} min"
templates.filters["when"] = lambda t: "" if t is None else t.strftime("%Y-%m-%d %H:%M")


def _page(name: str, status: int = 200, **context: object) -> HTTPResponse:
    return secured(response.html(templates.get_template(name).render(**context), status=status))


def _bad_request(request: Request, message: str) -> HTTPResponse:
    return _page("dashboard_error.html", status=400, message=message, desk=request.ctx.desk)


def dashboard_blueprint(settings: DeskSettings) -> Blueprint:
    """The dashboard; agents log in at the desk (``settings`` are the desk's)."""
    bp = Blueprint("dashboard", url_prefix=PREFIX)
    bp.static("/static", str(HERE / "static"), name="dashboard_static")
    guard = agent_required(settings)

    def read(compute: Callable) -> Callable:  # noqa: ANN001
        def run() -> object:
            with session_scope(settings.database_url) as db:
                return compute(db)
        return run

    @bp.get("/")
    @guard
    async def overview_page(request: Request) -> HTTPResponse:
        try:
            r = range_from_query(request.args)
        except BadRange as exc:
            return _bad_request(request, str(exc))

        def compute(db):  # noqa: ANN001, ANN202
            rows = m.satisfaction_per_conversation(db, r)
            return {"overview": m.overview(db, r), "deescalation": m.deescalation(db, r), "replies": m.first_reply_times(db, r),
                    "satisfaction": m.satisfaction_summary(rows), "recent": rows[:RECENT_CONVERSATIONS],
                    "reasons": m.escalation_by_reason(db, r), "csat": m.csat_by_starting_emotion(db, r),
                    "intents": m.negative_share_by_intent(db, r), "alerts": m.negative_timeline(db, r)[1]}

        data = await asyncio.to_thread(read(compute))
        return _page("dashboard.html", desk=request.ctx.desk, r=r, qs=query_string(r), charts=charts.CHARTS,
                     tables=sorted(TABLES), **data)

    @bp.get("/charts/<name:str>")
    @guard
    async def chart(request: Request, name: str) -> HTTPResponse:
        name = name.removesuffix(".png")
        if name not in charts.CHARTS:
            return _page("dashboard_error.html", status=404, message=f"There is no chart '{name}'.", desk=request.ctx.desk)
        try:
            r = range_from_query(request.args)
        except BadRange as exc:
            return _bad_request(request, str(exc))
        png = await asyncio.to_thread(read(lambda db: charts.render(name, db, r)))
        return secured(response.raw(png, content_type="image/png"))

    @bp.get("/export/<table:str>")
    @guard
    async def export(request: Request, table: str) -> HTTPResponse:
        table = table.removesuffix(".csv")
        if table not in TABLES:
            return _page("dashboard_error.html", status=404, message=f"There is no table '{table}' to export.", desk=request.ctx.desk)
        try:
            r = range_from_query(request.args)
        except BadRange as exc:
            return _bad_request(request, str(exc))
        text = await asyncio.to_thread(read(lambda db: export_csv(db, table, r)))
        filename = f"{table}_{r.start.isoformat()}_{r.end.isoformat()}.csv"
        return secured(response.text(text, content_type="text/csv; charset=utf-8",
                                     headers={"Content-Disposition": f'attachment; filename="{filename}"'}))

    @bp.get("/reviews")
    @guard
    async def reviews_page(request: Request) -> HTTPResponse:
        data = await asyncio.to_thread(read(lambda db: {"products": product_summaries(db), "alerts": review_alerts(db)}))
        return _page("reviews.html", desk=request.ctx.desk, **data)

    @bp.get("/reviews/<name:str>")
    @guard
    async def review_chart(request: Request, name: str) -> HTTPResponse:
        number = name.removesuffix(".png")
        if not number.isdigit() or len(number) > 9:
            return _page("dashboard_error.html", status=404, message="Product charts are /desk/dashboard/reviews/<product id>.png.",
                         desk=request.ctx.desk)
        product_id = int(number)
        png = await asyncio.to_thread(read(lambda db: charts.review_png(db, product_id)))
        if png is None:
            return _page("dashboard_error.html", status=404, message=f"No analysed reviews for product {product_id}.", desk=request.ctx.desk)
        return secured(response.raw(png, content_type="image/png"))

    return bp


def dashboard_redirect_blueprint() -> Blueprint:
    """``/dashboard`` -> ``/desk/dashboard``, keeping the date range."""
    bp = Blueprint("dashboard_redirect")

    @bp.get("/dashboard")
    async def to_dashboard(request: Request) -> HTTPResponse:
        target = PREFIX + "/" + (f"?{request.query_string}" if request.query_string else "")
        return response.redirect(target, status=303, headers=dict(SECURITY_HEADERS))

    return bp
