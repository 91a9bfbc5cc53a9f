"""What an award was measured against, kept on the RFQ (``procure/award_figures.py``):
written with the award in its one UPDATE, the same as ``seed-bench``'s refill and
migration 0028's fill compute from the quotes, and ``verify-totals`` names an award
whose figures were changed behind the services' back."""

from __future__ import annotations

import importlib.util
from decimal import Decimal

import pytest
import sqlalchemy as sa

from procure import award_figures, demo
from procure.db import MIGRATIONS_DIR
from procure.models import Rfq, RfqStatus
from procure.money import base_currency
from procure.sourcing import services as sourcing

from .report_support import LATER, Shop, fast_pdf  # noqa: F401 -- fast_pdf is a fixture

D = Decimal


@pytest.fixture
def shop(make, db) -> Shop:
    return Shop(make, db)


def kept(db) -> dict[str, tuple]:
    """Each award's kept figures by RFQ number."""
    rows = db.session.execute(
        sa.select(Rfq.number, Rfq.award_quotes, Rfq.award_highest_base, Rfq.award_median_base)
        .where(Rfq.status == RfqStatus.AWARDED)
        .order_by(Rfq.id)
    )
    return {number: tuple(figures) for number, *figures in rows}


def test_an_award_keeps_what_it_was_measured_against_in_its_one_update(shop, db, fast_pdf):  # noqa: F811
    """Three quotes, 900, 1,000 and 1,200, the cheapest awarded: three counted, the
    highest 1,200 and the median 1,000; the RFQ's row is written once."""
    acme, bosch, clyde = shop.vendor("Acme"), shop.vendor("Bosch"), shop.vendor("Clyde")
    pr = shop.approved("IT", [("Server", "1", "1000", "hardware")])
    rfq, _order = shop.rfq(pr, [(clyde, "0.9"), (bosch, "1"), (acme, "1.2")], award=clyde)
    assert kept(db) == {rfq.number: (3, D("1200.00"), D("1000.00"))}

    second = shop.approved("IT", [("Switch", "2", "500", "hardware")])
    rfq2 = sourcing.create_rfq(
        sourcing.RfqData(request_id=second.id, vendor_ids=[acme.id, bosch.id], due_date=LATER),
        actor=shop.buyer,
    )
    sourcing.send(rfq2, actor=shop.buyer)
    shop.quote(rfq2, acme, "1")
    cheaper = shop.quote(rfq2, bosch, "0.95")
    db.session.commit()
    version = rfq2.version
    sourcing.award(rfq2, cheaper.id, actor=shop.buyer)
    db.session.commit()

    assert rfq2.version == version + 1
    # Two quotes: the median is the mean of both, 950 and 1,000 for two units.
    assert kept(db)[rfq2.number] == (2, D("1000.00"), D("975.00"))
    assert award_figures.differences() == []


def _migration_fill(dialect: str) -> str:
    path = MIGRATIONS_DIR / "versions" / "0028_award_figures.py"
    spec = importlib.util.spec_from_file_location("migration_0028", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.fill(dialect, base_currency())


def test_the_demos_awards_keep_what_the_refill_and_the_migration_compute(db):
    """The demo's awards — one of them between quotes in three currencies — kept by the
    award service; computed again from the quotes by ``seed-bench``'s refill and by
    migration 0028's statement: the same figures."""
    demo.seed_all()
    db.session.commit()
    through_the_services = kept(db)
    assert len(through_the_services) >= 3
    assert all(quotes for quotes, _highest, _median in through_the_services.values())
    foreign = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Rfq)
        .where(Rfq.status == RfqStatus.AWARDED, Rfq.award_rate != 1)
    )
    assert foreign  # an award in a foreign currency among them

    cleared = {"award_quotes": None, "award_highest_base": None, "award_median_base": None}
    db.session.execute(sa.update(Rfq).values(**cleared))
    award_figures.refill()
    assert kept(db) == through_the_services

    db.session.execute(sa.update(Rfq).values(**cleared))
    db.session.execute(sa.text(_migration_fill(db.engine.dialect.name)))
    db.session.expire_all()
    assert kept(db) == through_the_services


@pytest.mark.tampers_totals
def test_verify_totals_names_an_award_changed_behind_the_services_back(
    shop,
    db,
    runner,
    fast_pdf,  # noqa: F811
):
    acme, bosch = shop.vendor("Acme"), shop.vendor("Bosch")
    pr = shop.approved("IT", [("Server", "1", "1000", "hardware")])
    rfq, _order = shop.rfq(pr, [(acme, "1.2"), (bosch, "1")], award=bosch)
    assert runner.invoke(args=["verify-totals"]).exit_code == 0

    db.session.execute(sa.update(Rfq).where(Rfq.id == rfq.id).values(award_quotes=5))

    result = runner.invoke(args=["verify-totals"])

    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"RFQ {rfq.number}: award figures kept 5 quotes, highest 1200.00, median 1100.00, "
        "from its quotes 2 quotes, highest 1200.00, median 1100.00",
        "1 kept total differs from the documents",
    ]

    award_figures.refill()  # what seed-bench does after its bulk writes
    assert runner.invoke(args=["verify-totals"]).exit_code == 0
