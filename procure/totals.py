"""Totals kept beside the documents, so that reports and budgets at a million requests
need not recompute them from every line at each look:

- ``OrderLine.received_value`` and ``PurchaseOrder.received_value``: what has been
  received, net (receipts not reversed, less returns), in the order's currency — the
  value beside ``OrderLine.received_quantity``, which was already kept;
- ``PurchaseRequest.main_category``: the category of the largest share of the
  request's total, ties to the alphabetically first (split purchases group by it);
- the budget sums per budget key (``budget_sums.py``, which keeps and checks them);
- what each award was measured against (``award_figures.py``, likewise);
- how many requests, orders, invoices and assets are in each status
  (``kept_counts.py``, likewise).

Each is written in the same transaction as the document that changes it, by the one
service that changes it (:func:`moved` from receiving, returning and reversing a
receipt; :func:`main_category` where a request's lines are saved), by ``seed-bench``'s
bulk writer, and filled once from the documents by migration 0023.
:func:`differences` recomputes every one of them from the documents and names each
that disagrees (``flask verify-totals``).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from . import award_figures, budget_sums, kept_counts, receiving
from .extensions import db
from .models import OrderLine, PurchaseOrder, PurchaseRequest, RequestLine


def main_category(lines: Iterable[tuple[str, Decimal]]) -> str | None:
    """The category of the largest share of (category, total) ``lines``; ties to the
    alphabetically first; None without lines."""
    amounts: dict[str, Decimal] = {}
    for category, total in lines:
        amounts[category] = amounts.get(category, Decimal(0)) + total
    if not amounts:
        return None
    return min(amounts, key=lambda category: (-amounts[category], category))


def keep_main_category(pr: PurchaseRequest) -> None:
    """Set ``pr``'s main category from its lines, as they are saved."""
    pr.main_category = main_category((line.category, line.total) for line in pr.lines)


def moved(line: OrderLine, value: Decimal) -> None:
    """Goods worth ``value`` (the order's currency) arrived on ``line`` (negative: went
    back, or a receipt reversed): its received value and its order's move with it."""
    line.received_value += value
    line.order.received_value += value


# Recomputed from the documents -------------------------------------------------------------


def _received_per(key: str) -> sa.Subquery:
    moves = receiving.movements()
    return (
        sa.select(moves.c[key].label("key"), sa.func.sum(moves.c.value).label("value"))
        .group_by(moves.c[key])
        .subquery()
    )


def _line_differences() -> list[str]:
    moved_value = _received_per("order_line_id")
    recomputed = sa.func.coalesce(moved_value.c.value, 0)
    rows = db.session.execute(
        sa.select(
            PurchaseOrder.id,
            PurchaseOrder.number,
            OrderLine.position,
            OrderLine.received_value,
            sa.type_coerce(recomputed, OrderLine.received_value.type),
        )
        .select_from(OrderLine)
        .join(PurchaseOrder, PurchaseOrder.id == OrderLine.order_id)
        .outerjoin(moved_value, moved_value.c.key == OrderLine.id)
        .where(OrderLine.received_value != recomputed)
        .order_by(OrderLine.order_id, OrderLine.position)
    )
    return [
        f"order {number or f'#{order_id}'} line {position}: received value kept {kept}, "
        f"from its receipts and returns {actual}"
        for order_id, number, position, kept, actual in rows
    ]


def _order_differences() -> list[str]:
    moved_value = _received_per("order_id")
    recomputed = sa.func.coalesce(moved_value.c.value, 0)
    rows = db.session.execute(
        sa.select(
            PurchaseOrder.id,
            PurchaseOrder.number,
            PurchaseOrder.received_value,
            sa.type_coerce(recomputed, PurchaseOrder.received_value.type),
        )
        .outerjoin(moved_value, moved_value.c.key == PurchaseOrder.id)
        .where(PurchaseOrder.received_value != recomputed)
        .order_by(PurchaseOrder.id)
    )
    return [
        f"order {number or f'#{order_id}'}: received value kept {kept}, "
        f"from its receipts and returns {actual}"
        for order_id, number, kept, actual in rows
    ]


def _main_categories() -> sa.Subquery:
    """Each request's main category from its lines, in SQL (the same rule as
    :func:`main_category`)."""
    per_category = (
        sa.select(
            RequestLine.request_id.label("request_id"),
            RequestLine.category.label("category"),
            sa.func.sum(RequestLine.total).label("amount"),
        )
        .group_by(RequestLine.request_id, RequestLine.category)
        .subquery()
    )
    ranked = sa.select(
        per_category.c.request_id,
        per_category.c.category,
        sa.func.row_number()
        .over(
            partition_by=per_category.c.request_id,
            order_by=(per_category.c.amount.desc(), per_category.c.category),
        )
        .label("place"),
    ).subquery()
    return (
        sa.select(ranked.c.request_id, ranked.c.category)
        .where(ranked.c.place == 1)
        .subquery("main_category")
    )


def _category_differences() -> list[str]:
    main = _main_categories()
    rows = db.session.execute(
        sa.select(PurchaseRequest.number, PurchaseRequest.main_category, main.c.category)
        .outerjoin(main, main.c.request_id == PurchaseRequest.id)
        .where(PurchaseRequest.main_category.is_distinct_from(main.c.category))
        .order_by(PurchaseRequest.id)
    )
    return [
        f"request {number}: main category kept {kept or '(none)'}, "
        f"from its lines {actual or '(none)'}"
        for number, kept, actual in rows
    ]


def differences() -> list[str]:
    """Every kept total that the documents contradict, in words; empty when all agree."""
    kept = _line_differences() + _order_differences() + _category_differences()
    kept += budget_sums.differences() + award_figures.differences()
    return kept + kept_counts.differences()


@click.command("verify-totals")
@with_appcontext
def verify_totals_command() -> None:
    """Recompute every kept total (received per order and order line, each request's
    main category, the budget sums per budget key, each award's quote count, highest and
    median quote, the documents' counts per status) from the documents; name each one
    that differs and exit 1, or say ok."""
    found = differences()
    for text in found:
        click.echo(text, err=True)
    if found:
        click.echo(
            f"{len(found)} kept total{'s differ' if len(found) != 1 else ' differs'} "
            "from the documents",
            err=True,
        )
        click.get_current_context().exit(1)
    click.echo("ok every kept total agrees with the documents")
