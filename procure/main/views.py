import sqlalchemy as sa
from flask import jsonify, render_template
from flask_login import current_user, login_required

from ..contracts import services as contracts
from ..extensions import db
from . import bp
from .dashboard import NOTICE_HORIZON_DAYS, RFQ_DUE_WITHIN_DAYS, board_for


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
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return jsonify({"status": "error", "database": "unreachable"}), 503
    return jsonify({"status": "ok"})
