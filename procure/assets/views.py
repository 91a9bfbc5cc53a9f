"""Pages of the asset register: find an asset in one step, see its whole story, move
it through its life, correct what was typed at the dock, export and print labels."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterator
from typing import IO

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import access, web
from ..errors import ValidationError
from ..forms import submitted_version
from ..models import Asset, AssetStatus
from ..workflow import AssetAction
from . import bp, export, labels, pages, services
from .forms import DeployForm, EditForm, MoveForm

SPOOL_BYTES = 4 * 1024 * 1024
MOVES = ("return", "repair", "retire", "dispose")
# What each move's button says, what the page says once it is done, and its heading.
MOVE_WORDS = {
    "return": ("Return to stock", "is back in stock", "Back to stock"),
    "repair": ("Send to repair", "is in repair", "Off to repair"),
    "retire": ("Retire", "is retired", "Retire it"),
    "dispose": ("Dispose of it", "is disposed of", "Dispose of it"),
}


def _filters() -> services.Filters:
    """The list's filters from the query string; what does not parse is left out."""
    args = request.args
    status = args.get("status") or None
    if status not in {s.value for s in AssetStatus}:
        status = None
    before = None
    try:
        if args.get("warranty_before"):
            before = dt.date.fromisoformat(args["warranty_before"][:10])
    except ValueError:
        before = None
    return services.Filters(
        status=AssetStatus(status) if status else None,
        holder_id=_int(args.get("holder_id")),
        order_id=_int(args.get("order_id")),
        q=(args.get("q") or "")[:200],
        warranty_before=before,
        uncovered=args.get("uncovered") == "1",
        category=(args.get("category") or None),
    )


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 12 else None


@bp.get("/assets")
@login_required
def index():
    access.require(current_user, "read_assets", action="open the asset register")
    filters = _filters()
    if filters.q:
        found = pages.exact(current_user, filters.q)
        if found is not None:
            return redirect(url_for(".detail", tag=found.tag))
    return render_template(
        "assets/index.html",
        view=pages.asset_list(current_user, filters),
        filters=filters,
        statuses=[s.value for s in AssetStatus],
    )


@bp.get("/assets/export.csv")
@login_required
def export_csv():
    access.require(current_user, "read_assets", action="export the asset register")
    fmt = request.args.get("format", "snipeit")
    if fmt not in export.FORMATS:
        abort(404)
    # Written while the request reads the database, sent afterwards: memory up to
    # SPOOL_BYTES, a temporary file beyond (as the API's export).
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - streamed
    try:
        for text in export.generate(services.query(current_user, _filters()), fmt):
            spool.write(text.encode("utf-8"))
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    response = Response(_chunks(spool), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{export.filename(fmt)}"'
    return response


def _chunks(spool: IO[bytes], size: int = 64 * 1024) -> Iterator[bytes]:
    try:
        while chunk := spool.read(size):
            yield chunk
    finally:
        spool.close()


@bp.get("/assets/labels.pdf")
@login_required
def labels_pdf():
    access.require(current_user, "read_assets", action="print asset labels")
    ids = _ids(",".join(request.args.getlist("ids")))
    labels.check(len(ids))
    found = pages.visible(current_user, ids)
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise ValidationError.field("ids", f"No such asset: {', '.join(missing[:20])}.")
    response = Response(labels.render([found[i] for i in ids]), mimetype="application/pdf")
    response.headers["Content-Disposition"] = 'attachment; filename="asset-labels.pdf"'
    return response


def _render(asset: Asset, *, forms: dict | None = None, failed: str | None = None, status=200):
    page = pages.asset_page(asset, current_user)
    forms = forms or {}
    return render_template(
        "assets/detail.html",
        page=page,
        asset=asset,
        deploy_form=forms.get("deploy") or DeployForm(version=asset.version),
        move_forms={
            move: forms.get(move) or MoveForm(formdata=None, version=asset.version)
            for move in MOVES
        },
        edit_form=forms.get("edit")
        or EditForm(
            formdata=None,
            data={
                "serial": asset.serial or "",
                "tag": asset.tag,
                "location": asset.location,
                "warranty_end": asset.warranty_end,
                "version": asset.version,
            },
        ),
        failed=failed,
        move_words=MOVE_WORDS,
    ), status


# One path segment: a tag holds no slash (``intake.TAG_PATTERN``).
@bp.get("/assets/<tag>")
@login_required
def detail(tag: str):
    # No tag or serial is that long or holds a control character (a NUL would reach
    # PostgreSQL as an error).
    if len(tag) > 100 or not tag.isprintable():
        abort(404)
    return _render(services.by_tag(tag, current_user))


@bp.post("/assets/<int:asset_id>/deploy")
@login_required
def deploy(asset_id: int):
    asset = services.get(asset_id, current_user)
    form = DeployForm()
    if form.validate():
        holder = pages.person(form.holder.data)
        if holder is None:
            form.holder.errors = ["No account has this e-mail address."]
        else:
            with web.form_errors(form) as outcome:
                services.act(
                    asset,
                    AssetAction.DEPLOY,
                    actor=current_user,
                    holder=holder,
                    location=form.location.data or None,
                    comment=form.comment.data or "",
                    expected_version=submitted_version(form),
                )
            if outcome.ok:
                flash(f"{asset.tag} is deployed to {holder.name}.", "success")
                return redirect(url_for(".detail", tag=asset.tag))
    return _render(asset, forms={"deploy": form}, failed="deploy", status=422)


@bp.post("/assets/<int:asset_id>/<move>")
@login_required
def act(asset_id: int, move: str):
    if move not in MOVES:
        abort(404)
    asset = services.get(asset_id, current_user)
    form = MoveForm()
    if form.validate():
        with web.form_errors(form) as outcome:
            services.act(
                asset,
                AssetAction(move),
                actor=current_user,
                location=form.location.data or None,
                comment=form.comment.data or "",
                expected_version=submitted_version(form),
            )
        if outcome.ok:
            flash(f"{asset.tag} {MOVE_WORDS[move][1]}.", "success")
            return redirect(url_for(".detail", tag=asset.tag))
    return _render(asset, forms={move: form}, failed=move, status=422)


@bp.post("/assets/<int:asset_id>/edit")
@login_required
def edit(asset_id: int):
    asset = services.get(asset_id, current_user)
    form = EditForm()
    if form.validate():
        with web.form_errors(form) as outcome:
            services.update(
                asset,
                actor=current_user,
                serial=form.serial.data or "",
                tag=form.tag.data,
                location=form.location.data or "",
                warranty_end=form.warranty_end.data,
                expected_version=submitted_version(form),
            )
        if outcome.ok:
            flash(f"{asset.tag} is saved.", "success")
            return redirect(url_for(".detail", tag=asset.tag))
    return _render(asset, forms={"edit": form}, failed="edit", status=422)


def _ids(raw: str) -> list[int]:
    """``1,2,3`` → [1, 2, 3]; anything else is a 422 on ``ids``."""
    parts = [part.strip() for part in raw.split(",") if part.strip()]
    if len(parts) > labels.MAX_LABELS:
        labels.check(len(parts))
    if not parts or not all(p.isdigit() and len(p) < 12 for p in parts):
        raise ValidationError.field("ids", "Give asset ids separated by commas.")
    return [int(part) for part in parts]
