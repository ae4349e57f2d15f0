"""`/healthz`: a liveness probe for load balancers, and the benchmark's floor.

No database, no session, no template: it only says the process serves requests.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz():
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}
