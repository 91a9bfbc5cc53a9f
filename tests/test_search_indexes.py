"""The searches that match part of a word, and the trigram indexes that serve them on
PostgreSQL (``procure/models/search.py``, migration 0025): made by the migrations and
by ``create_all`` there, absent on SQLite, and usable by the searches' queries."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from procure.agreements import catalogue
from procure.assets import licences, services
from procure.extensions import db as _db
from procure.models import Licence
from procure.models.search import made_on
from procure.vendors.services import list_query
from procure.workflow import AssetAction
from tests.agreement_support import agreement

from .documents import issued_order
from .test_assets import _assets, _receive

TRIGRAM_INDEXES = {
    "agreement_items": {"ix_agreement_items_description_trgm"},
    "assets": {"ix_assets_model_trgm", "ix_assets_serial_trgm", "ix_assets_tag_trgm"},
    "licences": {"ix_licences_product_trgm"},
    "users": {"ix_users_email_trgm", "ix_users_name_trgm"},
    "vendors": {"ix_vendors_name_key_trgm", "ix_vendors_name_trgm"},
}


def _on_postgres(request: pytest.FixtureRequest) -> bool:
    return request.config.getoption("--db") == "postgres"


def _trigram_indexes(connection: sa.Connection) -> dict[str, set[str]]:
    inspector = sa.inspect(connection)
    found: dict[str, set[str]] = {}
    for table in TRIGRAM_INDEXES:
        names = {ix["name"] for ix in inspector.get_indexes(table) if ix["name"].endswith("_trgm")}
        if names:
            found[table] = names
    return found


def _check_schema(connection: sa.Connection, postgres: bool) -> None:
    if not postgres:
        assert _trigram_indexes(connection) == {}
        return
    assert _trigram_indexes(connection) == TRIGRAM_INDEXES
    assert connection.scalar(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'"))
    definitions = connection.scalars(
        sa.text("SELECT indexdef FROM pg_indexes WHERE indexname LIKE '%\\_trgm'")
    ).all()
    assert len(definitions) == 9
    assert all("USING gin" in d and "gin_trgm_ops" in d for d in definitions), definitions


# The schema ---------------------------------------------------------------------------


def test_init_db_makes_the_trigram_indexes_on_postgresql_only(request, empty_app):
    assert empty_app.test_cli_runner().invoke(args=["init-db"]).exit_code == 0
    with empty_app.app_context(), _db.engine.connect() as connection:
        _check_schema(connection, _on_postgres(request))


def test_create_all_makes_them_too(request, empty_database_url):
    engine = sa.create_engine(empty_database_url)
    try:
        _db.metadata.create_all(engine)
        with engine.connect() as connection:
            _check_schema(connection, _on_postgres(request))
    finally:
        engine.dispose()


def test_the_migrations_build_the_models_schema_of_this_database(empty_app):
    """As test_cli's comparison, each index where ``ddl_if`` puts it: the trigram
    indexes are in the models for PostgreSQL and in neither schema on SQLite."""
    assert empty_app.test_cli_runner().invoke(args=["init-db"]).exit_code == 0
    with empty_app.app_context(), _db.engine.connect() as connection:
        dialect = connection.dialect.name

        def include_object(item, _name, type_, reflected, _compare_to):
            return reflected or type_ != "index" or made_on(item, dialect)

        context = MigrationContext.configure(connection, opts={"include_object": include_object})
        assert compare_metadata(context, _db.metadata) == []


# What the searches find ---------------------------------------------------------------


@pytest.fixture
def register(make, db):
    """Two laptops and a dock, one laptop deployed to Grace Hopper."""
    buyer = make.user(["procurement"], department="PROC")
    order = issued_order(
        make,
        buyer=buyer,
        title_lines=(("ThinkPad T14", "2", "1500.00"), ("USB-C dock", "1", "200.00")),
    )
    _receive(order, buyer, (1, "2", {"serials": ["PF-ABC", "PF-XYZ"]}), (2, "1", {}))
    holder = make.user(["requester"], department="IT", name="Grace Hopper")
    laptop, spare, dock = _assets(order)
    services.act(laptop, AssetAction.DEPLOY, actor=buyer, holder=holder)
    db.session.commit()
    return buyer, holder, (laptop, spare, dock)


def _found(buyer, text: str) -> list[int]:
    rows = _db.session.scalars(services.query(buyer, services.Filters(q=text)))
    return [asset.id for asset in rows]


def test_the_asset_search_finds_by_any_part_ignoring_case(register):
    buyer, holder, (laptop, spare, dock) = register
    assert _found(buyer, "f-XY") == [spare.id]
    assert _found(buyer, "T14") == [spare.id, laptop.id]  # newest first
    assert _found(buyer, "usb-c") == [dock.id]
    assert _found(buyer, "GRACE") == [laptop.id]
    assert _found(buyer, holder.email.split("@")[0][-6:].upper()) == [laptop.id]
    assert _found(buyer, dock.tag[-3:].lower()) == [dock.id]
    assert _found(buyer, "_") == []  # a wildcard typed is a character sought
    assert _found(buyer, "nobody has this") == []


def test_a_search_for_nobodys_name_still_finds_the_assets_themselves(register):
    buyer, _holder, (laptop, spare, _dock) = register
    # No user matches: the holders' array is empty, and the other sides of the OR
    # still find.
    assert _found(buyer, "thinkpad") == [spare.id, laptop.id]


def test_the_licence_search_finds_by_part_of_the_product(make, db):
    buyer = make.user(["procurement"], department="PROC")
    order = issued_order(
        make,
        buyer=buyer,
        title_lines=(("Office suite 100% cloud", "5", "12.00"),),
        category="licence",
    )
    _receive(order, buyer, (1, "5", {}))
    db.session.commit()
    pool = db.session.scalars(sa.select(Licence)).one()

    def found(text):
        return db.session.scalars(licences.query(buyer, q=text)).all()

    assert found("SUITE") == [pool]
    assert found("100%") == [pool]
    assert found("10%d") == []  # % is the character, not a wildcard


def test_the_catalogue_matches_each_word_in_the_description_or_the_vendors_name(make, people):
    ag = agreement(make, people["buyer"], items=(("ThinkPad T14", "1000.00", "10"),))
    other = agreement(make, people["buyer"], items=(("USB-C dock", "100.00", None),))
    requester = people["requester"]
    part_of_vendor = ag.vendor.name.split()[-1]  # "Vendor 12": "12"

    def found(q):
        return [e["item_id"] for e in catalogue.search(requester, q)]

    assert found(f"thinkpad {ag.vendor.name.upper()}") == [ag.items[0].id]
    assert found(f"{other.vendor.name} DOCK") == [other.items[0].id]
    assert ag.items[0].id in found(part_of_vendor)
    assert found(f"dock {ag.vendor.name}") == []


@pytest.fixture
def people(make):
    return {
        "buyer": make.user(["procurement"], department="PROC"),
        "requester": make.user(["requester"], department="IT"),
    }


def test_the_vendor_search_matches_part_of_the_folded_name(make, db):
    wanted = make.vendor("Acme  Office   Supplies")
    make.vendor("Other Trading")
    db.session.commit()
    names = [v.id for v in db.session.scalars(list_query(q="OFFICE supp")).unique()]
    assert names == [wanted.id]
    assert db.session.scalars(list_query(q="100%")).unique().all() == []


# The plans on PostgreSQL --------------------------------------------------------------


def _plan(statement: sa.Select) -> str:
    """EXPLAIN of ``statement`` with sequential and plain index scans off: a plan that
    can reach the rows through the trigram indexes' bitmaps takes them; one that
    cannot falls back to a sequential scan whatever it costs."""
    connection = _db.session.connection()
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    connection.exec_driver_sql("SET LOCAL enable_indexscan = off")
    compiled = statement.compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
    )
    rows = connection.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params).scalars()
    return "\n".join(rows)


def test_the_searches_can_read_the_trigram_indexes(request, register, make, people):
    if not _on_postgres(request):
        pytest.skip("trigram indexes are PostgreSQL's (run with --db postgres)")
    buyer = register[0]
    agreement(make, people["buyer"])

    for word in ("pf-xyz", "grace"):  # nobody's name; a holder's
        assets = _plan(services.query(buyer, services.Filters(q=word)).limit(25))
        for index in ("ix_assets_tag_trgm", "ix_assets_serial_trgm", "ix_assets_model_trgm"):
            assert index in assets, assets
        assert "Seq Scan on assets" not in assets, assets

    # The items through their description's index or their active agreements' (the
    # planner's choice on a small table), never read whole.
    items = _plan(catalogue.query("thinkpad"))
    assert "ix_vendors_name_trgm" in items, items
    assert "Seq Scan on agreement_items" not in items, items

    vendors = _plan(list_query(q="office"))
    assert "ix_vendors_name_key_trgm" in vendors, vendors

    pools = _plan(licences.query(buyer, q="suite"))
    assert "ix_licences_product_trgm" in pools, pools
