"""The baseline of the HTTP benchmarks: a bare Flask app, no Procure code, that reads
one purchase request by primary key with SQLAlchemy Core and renders a small Jinja
template. Served like Procure (``gunicorn -w 2 -k sync bench.bare_app:app``) against
the same database (``BENCH_BARE_DATABASE_URL``).
"""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, abort, render_template

app = Flask(__name__, template_folder=str(Path(__file__).parent / "templates"))
engine = sa.create_engine(os.environ.get("BENCH_BARE_DATABASE_URL", "sqlite://"))
requests = sa.table(
    "purchase_requests",
    sa.column("id"),
    sa.column("number"),
    sa.column("title"),
    sa.column("status"),
    sa.column("total"),
    sa.column("currency"),
    sa.column("updated_at"),
)


@app.get("/requests/<int:pr_id>")
def detail(pr_id: int):
    with engine.connect() as connection:
        row = connection.execute(sa.select(requests).where(requests.c.id == pr_id)).first()
    if row is None:
        abort(404)
    return render_template("bare.html", pr=row)


@app.get("/ready")
def ready():
    return "ready"
