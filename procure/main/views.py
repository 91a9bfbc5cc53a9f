import sqlalchemy as sa
from flask import jsonify, render_template
from flask_login import current_user, login_required

from ..extensions import db
from ..purchasing import services as purchasing
from . import bp


@bp.get("/")
@login_required
def dashboard():
    return render_template(
        "main/dashboard.html", user=current_user, board=purchasing.dashboard(current_user)
    )


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return jsonify({"status": "error", "database": "unreachable"}), 503
    return jsonify({"status": "ok"})
