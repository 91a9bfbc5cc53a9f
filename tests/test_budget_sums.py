"""The budget sums kept per budget key (``procure/budget_sums.py``, issue 25): the
budget page reads them instead of a year of documents. They follow the documents in the
documents' own transaction — a change counts in the figures at once, is written to the
kept rows when the transaction commits, and goes with a rolled-back savepoint or
transaction — and ``verify-totals``, the migration's fill and ``seed-bench``'s rebuild
agree with them."""

from __future__ import annotations

import importlib.util
from decimal import Decimal

import pytest
import sqlalchemy as sa

from procure import budget_sums, demo
from procure.budgets import services as budgets
from procure.db import MIGRATIONS_DIR
from procure.extensions import db as _db
from procure.models import BudgetSum

from . import test_budget_currencies as currency_tests
from .test_budget_currencies import approve, budget, file, rate

org = currency_tests.org  # the same people, as a fixture here

D = Decimal


def stored() -> dict:
    """The kept rows as the table holds them (without this transaction's notes):
    (category, source, status, rate) -> total."""
    return {
        (row.category, row.source, row.status, row.rate): row.total
        for row in _db.session.scalars(sa.select(BudgetSum))
        if row.total
    }


def test_an_approval_counts_at_once_and_is_kept_when_it_commits(org, db):
    whole = budget("20000.00")
    pr = file(org, currency="USD", lines=(("Dock", "2", "150.00", "hardware"),))
    approve(org, pr)

    # Not committed yet: the kept rows hold nothing, the figures count it already.
    assert stored() == {}
    assert budgets.figures_of(whole).committed == D("300.00")

    db.session.commit()

    assert stored() == {
        ("", "request", "approved", D(1)): D("300.00"),
        ("hardware", "request", "approved", D(1)): D("300.00"),
    }
    assert budgets.figures_of(whole).committed == D("300.00")


def test_foreign_lines_are_kept_per_frozen_rate(org, db):
    hardware = budget("10000.00", category="hardware")
    rate("EUR", "1.10")
    pr = file(org, lines=(("Servers", "4", "1200.00", "hardware"),))
    approve(org, pr)
    db.session.commit()

    # The whole at its frozen base total; the category's lines in euros at 1.10.
    assert stored() == {
        ("", "request", "approved", D(1)): D("5280.00"),
        ("hardware", "request", "approved", D("1.1")): D("4800.00"),
    }
    assert budgets.figures_of(hardware).committed == D("5280.00")


def test_a_rolled_back_savepoint_takes_its_change_to_the_sums_with_it(org, db):
    whole = budget("20000.00")
    kept_one = file(org, currency="USD", lines=(("Dock", "1", "100.00", "hardware"),))
    undone = file(org, currency="USD", lines=(("Screen", "1", "250.00", "hardware"),))
    approve(org, kept_one)

    savepoint = db.session.begin_nested()
    approve(org, undone)
    assert budgets.figures_of(whole).committed == D("350.00")
    savepoint.rollback()

    assert budgets.figures_of(whole).committed == D("100.00")
    db.session.commit()
    assert stored()[("", "request", "approved", D(1))] == D("100.00")
    assert budget_sums.differences() == []


def test_a_rolled_back_transaction_keeps_nothing(org, db):
    whole = budget("20000.00")
    db.session.commit()
    pr = file(org, currency="USD", lines=(("Dock", "1", "100.00", "hardware"),))
    approve(org, pr)
    assert budgets.figures_of(whole).committed == D("100.00")

    db.session.rollback()

    assert budgets.figures_of(whole).committed == D("0.00")
    db.session.commit()
    assert stored() == {}


@pytest.mark.tampers_totals
def test_verify_totals_names_a_budget_sum_changed_behind_the_services_back(org, db, runner):
    pr = file(org, currency="USD", lines=(("Dock", "2", "150.00", "hardware"),))
    approve(org, pr)
    db.session.commit()
    assert runner.invoke(args=["verify-totals"]).exit_code == 0

    # 1.00 more on the whole, in the column's storage form (thousandths).
    db.session.execute(sa.text("UPDATE budget_sums SET total = total + 1000 WHERE category = ''"))

    result = runner.invoke(args=["verify-totals"])

    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"budget sums of department #{pr.department_id} {pr.fiscal_year} (whole), requests "
        "approved at rate 1: kept 301.00/0.00/0.00, from the documents 300.00/0.00/0.00 "
        "(total/received/paid)",
        "1 kept total differs from the documents",
    ]

    budget_sums.rebuild()  # what seed-bench does after its bulk writes
    assert runner.invoke(args=["verify-totals"]).exit_code == 0


def _migration_fill() -> str:
    path = MIGRATIONS_DIR / "versions" / "0027_budget_sums.py"
    spec = importlib.util.spec_from_file_location("migration_0027", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.FILL


def test_the_demo_keeps_its_sums_and_the_migration_fills_the_same(db):
    """The demo's documents — orders received, returned and revised, call-offs, invoices
    approved and paid, in three currencies — kept through the services, then filled
    again from the documents by migration 0027's statement: the same rows."""
    demo.seed_all()
    db.session.commit()
    through_the_services = budget_sums.kept()
    assert {key[3] for key in through_the_services} == {"request", "order", "invoice"}
    assert any(key[5] != 1 for key in through_the_services)  # a foreign rate among them
    assert budget_sums.differences() == []

    db.session.execute(sa.delete(BudgetSum))
    db.session.execute(sa.text(_migration_fill()))

    assert budget_sums.kept() == through_the_services
