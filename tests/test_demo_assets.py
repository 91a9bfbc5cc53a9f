"""The demo's asset register: ``seed-demo`` into an empty database tells the story of
docs/assets.md — Alan the asset manager, laptops with serials deployed, in repair and
retired, a support contract covering two, warranties ending uncovered, a licence pool
with seats assigned, and a leaver still holding a laptop."""

from __future__ import annotations

import sqlalchemy as sa

from procure import demo, demo_assets
from procure.assets import reports, services
from procure.auth.services import find_user_by_email
from procure.models import Asset, AssetStatus, Licence, Notification


def test_seed_demo_prints_alans_login_and_it_works(runner, new_client):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if "alan@example.org" in line)
    assert demo.DEMO_PASSWORD in line and "asset_manager" in line
    assert "leo@example.org" not in result.output
    browser = new_client()
    answer = browser.post(
        "/login", data={"email": "alan@example.org", "password": demo.DEMO_PASSWORD}
    )
    assert answer.status_code == 302
    assert browser.get("/assets/reports/warranty").status_code == 200
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0 and again.output == result.output


def test_the_demo_tells_the_registers_story(db):
    demo.seed_all()
    db.session.commit()
    alan = find_user_by_email("alan@example.org")
    ada = find_user_by_email("ada@example.org")
    leo = find_user_by_email("leo@example.org")
    assert alan is not None and ada is not None and leo is not None
    laptops = db.session.scalars(
        sa.select(Asset).where(Asset.serial.in_(demo_assets.SERIALS)).order_by(Asset.id)
    ).all()
    assert [a.status for a in laptops] == [
        AssetStatus.DEPLOYED,
        AssetStatus.IN_REPAIR,
        AssetStatus.RETIRED,
        AssetStatus.DEPLOYED,
    ]
    adas, repaired, _stolen, leos = laptops
    assert adas.holder_id == ada.id and leos.holder_id == leo.id
    held = services.held_by(ada)
    assert adas in held and len(held) == 2  # the laptop and a monitor arm
    covered = services.covered_by(laptops)
    assert [c.kind.value for c in covered[adas.id]] == ["support"]
    assert covered[repaired.id] == covered[adas.id]
    # the warranty report finds something within 90 days
    uncovered = reports.warranty(alan, 90).rows
    assert len(uncovered) >= 2
    assert all(row.model.startswith("Switched PDU") for row in uncovered)
    # the licence pool with its seats
    pool = db.session.scalars(
        sa.select(Licence).where(Licence.product == demo_assets.JIRA_LINE[0])
    ).one()
    assert pool is not None and pool.seats == 25 and pool.used == 7
    # Leo left with his laptop and his seat: Alan was told, the report lists him
    assert not leo.active
    leavers = reports.leavers(alan)
    assert [h.user.email for h in leavers] == [leo.email]
    assert [a.id for a in leavers[0].assets] == [leos.id]
    assert [s.id for s in leavers[0].seats] == [pool.id]
    told = db.session.scalars(
        sa.select(Notification).where(Notification.kind == "asset_leaver")
    ).all()
    assert [m.email for m in told] == [alan.email]

    # once: a second seeding changes nothing
    def counts() -> list[int]:
        return [
            db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (Asset, Licence, Notification)
        ]

    before = counts()
    demo.seed_all()
    db.session.commit()
    assert counts() == before
    assert db.session.get(Licence, pool.id).used == 7
