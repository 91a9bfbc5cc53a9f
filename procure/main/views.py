from flask import jsonify, render_template
from flask_login import current_user, login_required

from ..contracts import services as contracts
from . import bp
from .dashboard import NOTICE_HORIZON_DAYS, RFQ_DUE_WITHIN_DAYS, board_for
from .health import database_reachable, readiness_problems


@bp.get("/")
@login_required
def dashboard():
    return render_template(
        "main/dashboard.html",
        user=current_user,
        board=board_for(current_user),
        notice_deadline=contracts.notice_deadline,
        horizon=NOTICE_HORIZON_DAYS,
        rfq_days=RFQ_DUE_WITHIN_DAYS,
    )


@bp.get("/healthz")
def healthz():
    if not database_reachable():
        return jsonify({"status": "error", "database": "unreachable"}), 503
    return jsonify({"status": "ok"})


@bp.get("/livez")
def livez():
    """The process answers: nothing else is asked (no database)."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz():
    """Database, storage and migrations ready, or 503 saying what is not."""
    problems = readiness_problems()
    if problems:
        response = jsonify({"status": "unavailable", "problems": problems})
        response.headers["Retry-After"] = "5"
        return response, 503
    return jsonify({"status": "ok"})
