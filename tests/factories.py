"""Factory functions for tests: ``make.user(roles=["approver"], department="IT")``."""

from __future__ import annotations

import itertools

from procure import reference
from procure.admin import services as admin_services
from procure.auth import services as auth_services
from procure.models import Department, Role, User

PASSWORD = "correct horse battery"
_counter = itertools.count(1)


class Factories:
    def __init__(self, db) -> None:
        self.db = db

    def department(self, code: str = "IT", name: str | None = None) -> Department:
        existing = reference.department_by_code(code)
        if existing is not None:
            return existing
        department = reference.create_department(code, name or f"{code} department", actor=None)
        self.db.session.commit()
        return department

    def user(
        self,
        roles: list[str] | tuple[str, ...] = ("requester",),
        *,
        department: str = "IT",
        email: str | None = None,
        name: str | None = None,
        password: str = PASSWORD,
        active: bool = True,
    ) -> User:
        number = next(_counter)
        user = admin_services.create_user(
            email or f"user{number}@example.org",
            name=name or f"User {number}",
            password=password,
            department=self.department(department),
            roles={Role(role) for role in roles},
            actor=None,
        )
        user.active = active
        self.db.session.commit()
        return user

    def token(self, user: User) -> str:
        _token, secret = auth_services.create_token(user, "test", actor=user)
        self.db.session.commit()
        return secret

    def contract(self, *, kind="support", owner, status="active", order=None, vendor=None):
        """A contract of a year from today, activated unless ``status="draft"``."""
        import datetime as dt

        from procure.contracts import services as contracts

        vendor = vendor or (order.vendor if order is not None else self.vendor())
        contract = contracts.create(
            contracts.ContractData(
                vendor_id=vendor.id,
                title=f"{str(kind).capitalize()} contract",
                kind=str(kind),
                start_date=dt.date.today(),
                end_date=dt.date.today() + dt.timedelta(days=365),
                order_id=order.id if order is not None else None,
            ),
            actor=owner,
        )
        if status == "active":
            contracts.activate(contract, actor=owner)
        self.db.session.commit()
        return contract

    def vendor(
        self,
        name: str | None = None,
        *,
        status: str = "approved",
        categories: tuple[str, ...] = ("hardware",),
        rating: int | None = 4,
        email: str = "",
    ):
        """A vendor row as the register would hold it (status set directly)."""
        from procure.models import Vendor, VendorCategory, VendorStatus

        number = next(_counter)
        name = name or f"Vendor {number}"
        vendor = Vendor(
            name=name,
            name_key=Vendor.fold(name),
            email=email,
            rating=rating,
            status=VendorStatus(status),
            category_rows=[VendorCategory(category=c) for c in categories],
        )
        self.db.session.add(vendor)
        self.db.session.commit()
        return vendor

    def approved_request(
        self,
        requester,
        approver,
        *,
        lines=(("Laptop", "2", "1000.00"),),
        category: str = "hardware",
    ):
        """A purchase request taken through its approvals."""
        from decimal import Decimal

        from procure.purchasing import services as purchasing

        pr = purchasing.create_request(
            purchasing.RequestData(
                title="Sourcing test",
                lines=[
                    purchasing.LineData(
                        description=d,
                        quantity=Decimal(q),
                        unit_price=Decimal(p),
                        category=category,
                    )
                    for d, q, p in lines
                ],
            ),
            actor=requester,
        )
        purchasing.submit(pr, actor=requester)
        while pr.pending_step is not None:
            step = pr.pending_step
            decider = (
                approver
                if step.name == "department"
                else self.user([step.role.value], department="FIN")
            )
            purchasing.approve(pr, actor=decider)
        self.db.session.commit()
        return pr
