"""PDF benchmark: the 20-line purchase order through ``procure.pdf.render_pdf``, and
the same HTML through a bare WeasyPrint call, in one process, alternating.

Prints both medians and their ratio; the last line reads
``pdf procure_ms=… bare_ms=… ratio=…`` (goal: ratio ≤ 1.15).
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The project first, and not this folder: bench/http.py would shadow the standard library.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from weasyprint import CSS, HTML  # noqa: E402

from bench import harness  # noqa: E402
from procure import create_app, pdf  # noqa: E402
from procure.db import init_db, write_intent  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "15"))
GOAL = 1.15


def build_order(app):
    """A realistic issued order with 20 lines, made through the services."""
    from procure import reference
    from procure.admin import services as admin
    from procure.extensions import db
    from procure.models import Role, Vendor, VendorCategory, VendorStatus
    from procure.orders import services as orders
    from procure.purchasing import services as purchasing
    from procure.sourcing import services as sourcing

    with app.app_context(), write_intent():
        department = reference.create_department("IT", "Information Technology", actor=None)
        people = {
            role: admin.create_user(
                f"{role.value}@bench.example",
                name=role.value.title(),
                password="bench-password",
                department=department,
                roles={role},
                actor=None,
            )
            for role in (Role.REQUESTER, Role.APPROVER, Role.FINANCE, Role.PROCUREMENT)
        }
        vendor = Vendor(
            name="Bench Supplies Ltd",
            name_key="bench supplies ltd",
            address="1 Bench Road\nBench City",
            status=VendorStatus.APPROVED,
            category_rows=[VendorCategory(category="hardware")],
        )
        db.session.add(vendor)
        db.session.flush()
        lines = [
            purchasing.LineData(
                description=f"Item {n}: laptop accessory, model {n * 7}",
                quantity=Decimal(n % 5 + 1),
                unit_price=Decimal("49.90") + n,
                category="hardware",
            )
            for n in range(1, 21)
        ]
        pr = purchasing.create_request(
            purchasing.RequestData(title="Benchmark order", lines=lines),
            actor=people[Role.REQUESTER],
        )
        purchasing.submit(pr, actor=people[Role.REQUESTER])
        purchasing.approve(pr, actor=people[Role.APPROVER])
        if pr.pending_step is not None:
            purchasing.approve(pr, actor=people[Role.FINANCE])
        buyer = people[Role.PROCUREMENT]
        rfq = sourcing.create_rfq(
            sourcing.RfqData(request_id=pr.id, vendor_ids=[vendor.id], due_date=dt.date.today()),
            actor=buyer,
        )
        sourcing.send(rfq, actor=buyer)
        quote = sourcing.record_quote(
            rfq,
            sourcing.QuoteData(
                vendor_id=vendor.id,
                valid_until=dt.date.today(),
                lead_time_days=5,
                lines=[
                    sourcing.QuoteLineData(
                        description=line.description,
                        quantity=line.quantity,
                        unit_price=line.unit_price,
                        request_line_id=line.id,
                    )
                    for line in pr.lines
                ],
            ),
            actor=buyer,
        )
        order = sourcing.award(rfq, quote.id, actor=buyer, justification="benchmark")
        orders.issue(order, actor=buyer)
        db.session.commit()
        return order.id


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.db",
                "ATTACHMENTS_DIR": f"{folder}/attachments",
                "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                "SECRET_KEY": "bench",
            }
        )
        init_db(app)
        order_id = build_order(app)
        from procure.extensions import db
        from procure.models import PurchaseOrder
        from procure.orders import document

        with app.test_request_context():
            order = db.session.get(PurchaseOrder, order_id)
            context = document.document_context(order, draft=False)
            html = pdf.render_html("purchase_order.html", **context)
            stylesheet = Path(app.static_folder) / pdf.STYLESHEET

            def procure_render() -> bytes:
                return pdf.render_pdf("purchase_order.html", **context)

            def bare_render() -> bytes:
                return HTML(string=html).write_pdf(stylesheets=[CSS(filename=str(stylesheet))])

            procure_render(), bare_render()  # warm up fonts and caches
            procure_times, bare_times = [], []
            for _ in range(RUNS):
                for render, times in ((procure_render, procure_times), (bare_render, bare_times)):
                    start = time.perf_counter()
                    render()
                    times.append((time.perf_counter() - start) * 1000)
    procure_ms = statistics.median(procure_times)
    bare_ms = statistics.median(bare_times)
    ratio = procure_ms / bare_ms
    print(f"20-line purchase order, {RUNS} runs each, medians")
    print(f"  render_pdf (template + restricted fetcher): {procure_ms:.1f} ms")
    print(f"  bare WeasyPrint on the same HTML:           {bare_ms:.1f} ms")
    print(f"  goal ratio <= {GOAL}: {'met' if ratio <= GOAL else 'NOT met'}")
    if not harness.env_flag("BENCH_NO_DOCS"):
        table = harness.markdown_table(
            ["date", "runs", "render_pdf median", "bare WeasyPrint median", "ratio", "goal"],
            [
                (
                    harness.today(),
                    RUNS,
                    f"{procure_ms:.1f} ms",
                    f"{bare_ms:.1f} ms",
                    f"{ratio:.3f}",
                    f"≤ {GOAL}: {harness.yes_no(ratio <= GOAL)}",
                )
            ],
        )
        harness.write_section("pdf", f"{table}\n\n{harness.machine()}", "PDF rendering")
    print(f"pdf procure_ms={procure_ms:.1f} bare_ms={bare_ms:.1f} ratio={ratio:.3f}")


if __name__ == "__main__":
    main()
