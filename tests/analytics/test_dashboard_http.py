"""The dashboard over real HTTP: the site as a subprocess, the analytics tables filled by replaying a recorded stream.

Covers: no session and forged cookies, the date filter (and bad dates), every chart as a PNG, every
CSV export (spreadsheet formulas defused), HTML and script in shopper-controlled ids escaped, the
review page and its per-product PNGs, and the desk's security headers.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from demo_site.dashboard.charts import CHARTS
from demo_site.desk.accounts import create_agent
from services.analytics import metrics as m
from services.analytics.consumer import Consumer, ConsumerOptions
from services.analytics.csv_export import TABLES
from services.analytics.reviews_report import ReportOptions, run
from services.analytics.webhook import SlackWebhook
from services.settings import PROJECT_ROOT
from services.store.db import make_engine, session_scope
from services.store.seed.reviews import seed_reviews
from services.store.seed.run import seed_database
from tests.analytics.conftest import SqlBroker
from tests.analytics.event_stream import WORKING_DAY, WORKING_DAY_BASELINE_HOURS, StreamOptions, generate_stream
from tests.analytics.rasa_events import session_started, user
from tests.analytics.test_reviews import calm_scorer
from tests.chromium import launched_chromium
from tests.conftest import TODAY
from tests.desk.desk_client import Agent, logged_in, running_site

PASSWORD = "dashboard test password"
XSS_SENDER = '<script>alert("x")</script>'
FORMULA_SENDER = '=HYPERLINK("http://evil.example","click")'
DAY = "from=2026-11-21&to=2026-11-21"
PNG = b"\x89PNG\r\n\x1a\n"
SHOTS = PROJECT_ROOT / "results" / "dashboard"
IMAGES_LOADED = "Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)"


def wait_for_images(page, timeout_s: float = 120) -> None:  # noqa: ANN001
    """Poll from Python: the page's CSP forbids the string evaluation wait_for_function uses."""
    deadline = time.monotonic() + timeout_s
    for image in page.locator("img").all():
        image.scroll_into_view_if_needed()  # the charts load lazily
    while not page.evaluate(IMAGES_LOADED):
        assert time.monotonic() < deadline, "charts did not load"
        page.wait_for_timeout(250)


class Site:
    def __init__(self, url: str, database_url: str) -> None:
        self.url, self.database_url = url, database_url


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    workdir: Path = tmp_path_factory.mktemp("dashboard")
    database_url = f"sqlite:///{workdir / 'store.db'}"
    seed_database(database_url, today=TODAY, n_customers=20, progress=False)
    engine = make_engine(database_url)
    with engine.begin() as conn:
        seed_reviews(conn, TODAY)
    engine.dispose()
    with session_scope(database_url) as session:
        create_agent(session, "ana", PASSWORD, "agent", "Ana")
    broker = SqlBroker(workdir / "events.db")
    broker.publish_many(generate_stream(StreamOptions(**WORKING_DAY)))
    for sender in (XSS_SENDER, FORMULA_SENDER):
        broker.publish_many([*session_started(sender, 700), user(sender, 701, "hi", "greet", "neutral")])  # the newest: listed first
    Consumer(ConsumerOptions(source="sql", events_url=broker.url, database_url=database_url, once=True,
                             baseline_hours=WORKING_DAY_BASELINE_HOURS), webhook=SlackWebhook(None)).run()
    run(ReportOptions(url=database_url, today=TODAY.isoformat(), out=str(workdir / "png")), scorer=calm_scorer, webhook=SlackWebhook(None))
    with running_site(workdir, database_url, "http://127.0.0.1:9", {"IDENTITY_SECRET": "dashboard-identity"}) as url:
        yield Site(url, database_url)


@pytest.fixture(scope="module")
def ana(site: Site) -> Agent:
    return logged_in(site.url, "ana", PASSWORD)


def test_every_dashboard_route_needs_a_logged_in_agent(site: Site) -> None:
    anonymous = Agent(site.url)
    first = anonymous.get_page("/dashboard?" + DAY)
    assert first.status_code == 303 and first.headers["Location"] == "/desk/dashboard/?" + DAY
    for path in ("/desk/dashboard/", "/desk/dashboard/charts/emotion_mix.png", "/desk/dashboard/export/satisfaction.csv",
                 "/desk/dashboard/reviews", "/desk/dashboard/reviews/1.png"):
        response = anonymous.get_page(path)
        assert response.status_code == 303 and response.headers["Location"] == "/desk/login", path
        assert "image/png" not in response.headers.get("Content-Type", "") and "text/csv" not in response.headers.get("Content-Type", "")
    forged = Agent(site.url)
    forged.cookies.set("hp_desk", "forged-session-id", path="/desk")
    assert forged.get_page("/desk/dashboard/").status_code == 303


def test_the_overview_shows_the_range_figures(site: Site, ana: Agent) -> None:
    page = ana.get_page("/desk/dashboard/?" + DAY)
    assert page.status_code == 200
    with session_scope(site.database_url) as session:
        overview = m.overview(session, m.DateRange(TODAY.replace(day=21), TODAY.replace(day=21)))
    assert overview.conversations > 100 and overview.escalations > 0
    assert f'<div class="value">{overview.conversations}</div>' in page.text
    assert "Negative-surge alerts" in page.text and "cleared" in page.text
    for name in CHARTS:
        assert f"/desk/dashboard/charts/{name}.png?{DAY}".replace("&", "&amp;") in page.text
    assert page.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert page.headers["X-Frame-Options"] == "DENY"


def test_html_in_a_sender_id_is_escaped(ana: Agent) -> None:
    text = ana.get_page("/desk/dashboard/?" + DAY).text
    assert XSS_SENDER not in text and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in text


def test_the_date_filter_narrows_and_refuses_bad_dates(ana: Agent) -> None:
    empty = ana.get_page("/desk/dashboard/?from=2026-10-01&to=2026-10-02")
    assert empty.status_code == 200 and "No conversations in this range." in empty.text
    for query, message in (("from=yesterday", "&#39;from&#39; must be a date"), ("from=2026-11-22&to=2026-11-21", "before it starts"),
                           ("from=2020-01-01&to=2026-11-21", "limited to 366 days")):
        bad = ana.get_page("/desk/dashboard/?" + query)
        assert bad.status_code == 400 and message in bad.text, query


def test_every_chart_is_a_png_that_follows_the_range(ana: Agent) -> None:
    for name in CHARTS:
        chart = ana.get_page(f"/desk/dashboard/charts/{name}.png?{DAY}")
        assert chart.status_code == 200 and chart.headers["Content-Type"] == "image/png" and chart.content.startswith(PNG), name
    busy = ana.get_page(f"/desk/dashboard/charts/emotion_mix.png?{DAY}").content
    quiet = ana.get_page("/desk/dashboard/charts/emotion_mix.png?from=2026-10-01&to=2026-10-02").content
    assert busy != quiet
    assert ana.get_page("/desk/dashboard/charts/nope.png").status_code == 404


def test_every_table_exports_as_csv_with_formulas_defused(site: Site, ana: Agent) -> None:
    for table in TABLES:
        response = ana.get_page(f"/desk/dashboard/export/{table}.csv?{DAY}")
        assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv"), table
        assert f'filename="{table}_2026-11-21_2026-11-21.csv"' in response.headers["Content-Disposition"]
        rows = list(csv.reader(io.StringIO(response.text)))
        assert len(rows) > 1, table
    rows = list(csv.DictReader(io.StringIO(ana.get_page(f"/desk/dashboard/export/satisfaction.csv?{DAY}").text)))
    senders = {r["sender_id"] for r in rows}
    assert "'" + FORMULA_SENDER in senders and FORMULA_SENDER not in senders and XSS_SENDER in senders
    assert {r["inferred_satisfaction"] for r in rows} == {"satisfied", "unsatisfied"}
    with session_scope(site.database_url) as session:
        assert len(rows) == len(m.satisfaction_per_conversation(session, m.DateRange(TODAY.replace(day=21), TODAY.replace(day=21))))
    assert ana.get_page("/desk/dashboard/export/passwords.csv").status_code == 404


def test_the_review_page_and_its_product_charts(ana: Agent) -> None:
    page = ana.get_page("/desk/dashboard/reviews")
    assert page.status_code == 200
    assert "Roastwell Nova Espresso Machine" in page.text and "surging now" in page.text and "recurring complaint" in page.text
    assert "<title>Reviews · Harbor &amp; Pine</title>" in page.text
    ids = [int(part.split(".png")[0]) for part in page.text.split("/desk/dashboard/reviews/")[1:]]
    assert len(ids) == 6
    for product_id in ids:
        chart = ana.get_page(f"/desk/dashboard/reviews/{product_id}.png")
        assert chart.status_code == 200 and chart.content.startswith(PNG)
    assert ana.get_page("/desk/dashboard/reviews/99999.png").status_code == 404


def test_an_agent_logs_in_and_sees_the_dashboard_in_chromium(site: Site) -> None:
    """Screenshots: results/dashboard/dashboard.png and results/dashboard/reviews.png."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    with launched_chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.goto(f"{site.url}/dashboard?{DAY}")
        assert page.url.endswith("/desk/login")  # no session yet
        page.get_by_label("Username").fill("ana")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/desk/queue")
        page.goto(f"{site.url}/dashboard?{DAY}")
        assert page.url.endswith(f"/desk/dashboard/?{DAY}")
        wait_for_images(page)
        assert page.locator("img").count() == len(CHARTS)
        assert page.get_by_role("heading", name="Conversations, 2026-11-21 to 2026-11-21").is_visible()
        assert page.evaluate("document.querySelectorAll('script').length") == 0
        page.screenshot(path=str(SHOTS / "dashboard.png"), full_page=True)
        page.get_by_role("link", name="Reviews").first.click()
        page.wait_for_url("**/desk/dashboard/reviews")
        wait_for_images(page)
        assert page.get_by_text("surging now").first.is_visible()
        page.screenshot(path=str(SHOTS / "reviews.png"), full_page=True)
        context.close()
