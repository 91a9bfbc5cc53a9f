import sqlalchemy as sa
from flask import jsonify, render_template
from flask_login import current_user, login_required

from ..contracts import services as contracts
from ..extensions import db
from ..purchasing import services as purchasing
from . import bp

NOTICE_HORIZON_DAYS = 60


@bp.get("/")
@login_required
def dashboard():
    # Contracts whose notice deadline is near: for procurement, finance, admin and the
    # contracts' owners (the list query keeps to what the user may see).
    near = list(
        db.session.scalars(
            contracts.list_query(current_user, expiring_within=NOTICE_HORIZON_DAYS).limit(8)
        )
    )
    return render_template(
        "main/dashboard.html",
        user=current_user,
        board=purchasing.dashboard(current_user),
        contracts_near=near,
        notice_deadline=contracts.notice_deadline,
        horizon=NOTICE_HORIZON_DAYS,
    )


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return jsonify({"status": "error", "database": "unreachable"}), 503
    return jsonify({"status": "ok"})
