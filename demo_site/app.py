"""The demo store's site on http://localhost:8080: the web chat page, signed identity, thumbnails.

    python -m demo_site.app --port 8080 --rasa-url http://localhost:5005

``/?customer=C-1001`` plays the store's backend after a login: the page gets that customer's id
signed with ``IDENTITY_SECRET``; without the parameter the shopper is anonymous and verifies with
an order number and email. The page itself has no way to pick an identity.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from string import Template

from sanic import Sanic, response
from sanic.request import Request

from demo_site.dashboard.routes import dashboard_blueprint, dashboard_redirect_blueprint
from demo_site.desk.routes import desk_blueprint
from demo_site.desk.settings import DeskSettings
from demo_site.thumbnails import thumbnail_svg
from services.store.db import session_scope
from services.store.identity import CUSTOMER_ID_RE, customer_exists, sign_customer_id

HERE = Path(__file__).resolve().parent
SOCKET_IO_CLIENT = HERE / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"
MAX_NAME_CHARS = 160


def page_config(rasa_url: str, customer_id: str | None, secret: str) -> dict:
    """What the page script needs: the socket.io server and, for a logged-in shopper, the signed identity."""
    identity = None
    if customer_id:
        identity = {"customer_id": customer_id, "customer_token": sign_customer_id(secret, customer_id)}
    return {"server": rasa_url, "identity": identity, "sessionKey": f"hp-chat:{customer_id or 'anonymous'}"}


def create_app(rasa_url: str, secret: str, database_url: str | None = None, desk: DeskSettings | None = None) -> Sanic:
    """The site's Sanic app; ``secret`` signs identities (the store backend's job); ``desk`` configures /desk."""
    if not secret:
        raise ValueError("IDENTITY_SECRET is empty: the site cannot sign identities (make run generates one)")
    app = Sanic("harbor_and_pine_site")
    desk = desk or DeskSettings.from_env(rasa_url, database_url)
    app.blueprint(desk_blueprint(desk))
    app.blueprint([dashboard_blueprint(desk), dashboard_redirect_blueprint()])
    template = Template((HERE / "templates" / "index.html").read_text(encoding="utf-8"))
    app.static("/static", str(HERE / "static"), name="static")

    @app.get("/")
    async def index(request: Request):
        customer = request.args.get("customer")
        if customer is not None:
            if not CUSTOMER_ID_RE.fullmatch(customer):
                return response.html("<h1>400</h1><p>customer must look like C-1001</p>", status=400)
            with session_scope(database_url) as session:
                if not customer_exists(session, customer):
                    return response.html(f"<h1>404</h1><p>no demo customer {customer}</p>", status=404)
        config = json.dumps(page_config(rasa_url, customer, secret)).replace("</", "<\\/")
        who = f"Signed in as {customer}" if customer else "Not signed in"
        return response.html(template.substitute(config=config, who=who),
                             headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})

    @app.get("/vendor/socket.io.min.js")
    async def socket_io_client(request: Request):
        if not SOCKET_IO_CLIENT.exists():
            return response.text("socket.io client missing: run `make webchat`", status=503)
        return await response.file(str(SOCKET_IO_CLIENT), mime_type="application/javascript")

    @app.get("/thumbnails/<category>/<name>")
    async def thumbnail(request: Request, category: str, name: str):
        if len(name) > MAX_NAME_CHARS or len(category) > MAX_NAME_CHARS:
            return response.text("name too long", status=400)
        return response.text(thumbnail_svg(name.removesuffix(".svg"), category), content_type="image/svg+xml",
                             headers={"Cache-Control": "public, max-age=86400"})

    @app.get("/health")
    async def health(request: Request):
        return response.json({"status": "ok"})

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("SITE_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--rasa-url", default=os.environ.get("RASA_PUBLIC_URL", "http://localhost:5005"))
    parser.add_argument("--rasa-api-url", default=os.environ.get("RASA_API_URL"),
                        help="Rasa HTTP API as the desk reaches it server-side (default: --rasa-url)")
    args = parser.parse_args()
    app = create_app(args.rasa_url, os.environ.get("IDENTITY_SECRET", ""), desk=DeskSettings.from_env(args.rasa_api_url or args.rasa_url))
    app.run(args.host, args.port, workers=1, access_log=False)


if __name__ == "__main__":
    main()
