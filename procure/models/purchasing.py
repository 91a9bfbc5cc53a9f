"""Purchase requests, their lines and approval steps, and the approval policy."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..money import Money, Quantity, RateColumn
from .base import enum_column, utcnow
from .users import Department, Role, User


class RequestStatus(enum.StrEnum):
    DRAFT = "draft"
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    ORDERED = "ordered"
    CLOSED = "closed"


class StepStatus(enum.StrEnum):
    WAITING = "waiting"  # an earlier step is still open
    PENDING = "pending"  # the step awaiting a decision now
    APPROVED = "approved"
    REJECTED = "rejected"
    RETURNED = "returned"  # the decider sent the request back for changes
    CANCELLED = "cancelled"  # never decided: the request was returned or cancelled


OPEN_STEP_STATUSES = (StepStatus.WAITING, StepStatus.PENDING)
# What the split-purchase windows read of a request besides its department and creation.
SPLIT_COLUMNS = ["id", "status", "total", "total_base", "main_category"]


class PurchaseRequest(db.Model):
    __tablename__ = "purchase_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(20), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    justification: Mapped[str] = mapped_column(sa.Text, default="")
    # The request type (admin-defined) and the values of its extra fields.
    type_code: Mapped[str | None] = mapped_column(sa.ForeignKey("request_types.code"))
    fields: Mapped[dict] = mapped_column(sa.JSON, default=dict, server_default="{}")
    requester_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("departments.id"), index=True)
    needed_by: Mapped[dt.date | None]
    currency: Mapped[str] = mapped_column(sa.String(3))
    status: Mapped[RequestStatus] = mapped_column(
        enum_column(RequestStatus, "request_status"), default=RequestStatus.DRAFT
    )
    # The sum of the lines, kept with them by the service that changes them.
    total: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    # Frozen at submit (rates.py): base units one unit of ``currency`` was worth, the
    # rate's date, and the total in the base currency the policy and budgets see.
    rate: Mapped[Decimal | None] = mapped_column(RateColumn)
    rate_date: Mapped[dt.date | None]
    total_base: Mapped[Decimal | None] = mapped_column(Money)
    over_budget: Mapped[bool] = mapped_column(default=False)
    # The category of the largest share of the total (ties: the alphabetically first),
    # kept with the lines by the service that saves them (``totals.main_category``);
    # the split-purchase check groups by it. ``verify-totals`` recomputes it.
    main_category: Mapped[str | None] = mapped_column(sa.String(40))
    # Approvals restart on resubmission: each submission is a new round of steps.
    approval_round: Mapped[int] = mapped_column(default=0)
    fiscal_year: Mapped[int | None]
    submitted_at: Mapped[dt.datetime | None]
    decided_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    requester: Mapped[User] = relationship(
        foreign_keys=[requester_id], lazy="joined", innerjoin=True
    )
    department: Mapped[Department] = relationship(lazy="joined", innerjoin=True)
    # Read when asked for: lists show neither; the inbox and the API ask for them in a
    # batch (selectinload).
    lines: Mapped[list[RequestLine]] = relationship(
        back_populates="request",
        cascade="all, delete-orphan",
        order_by="RequestLine.position",
    )
    steps: Mapped[list[ApprovalStep]] = relationship(
        back_populates="request",
        cascade="all, delete-orphan",
        order_by="(ApprovalStep.round, ApprovalStep.position)",
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        sa.CheckConstraint("total >= 0", name="total_not_negative"),
        sa.CheckConstraint(
            "status IN ('draft', 'cancelled') OR submitted_at IS NOT NULL",
            name="submitted_unless_draft",
        ),
        sa.Index("ix_purchase_requests_status_id", "status", "id"),
        # Reports: requests by the day they were submitted (cycle time) or created
        # (split purchases, over all departments or of one, as on a request's page).
        sa.Index("ix_purchase_requests_submitted_at", "submitted_at"),
        sa.Index("ix_purchase_requests_created_at", "created_at"),
        # With what the split-purchase windows read of each request, so that a request's
        # page reads its department's neighbours from the index alone (PostgreSQL).
        sa.Index(
            "ix_purchase_requests_department_created",
            "department_id",
            "created_at",
            postgresql_include=SPLIT_COLUMNS,
        ),
    )

    @property
    def current_steps(self) -> list[ApprovalStep]:
        """The steps of the latest submission."""
        return [step for step in self.steps if step.round == self.approval_round]

    @property
    def pending_step(self) -> ApprovalStep | None:
        return next((s for s in self.current_steps if s.status == StepStatus.PENDING), None)

    def __repr__(self) -> str:
        return f"<PurchaseRequest {self.number} {self.status}>"


class RequestLine(db.Model):
    __tablename__ = "request_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        sa.ForeignKey("purchase_requests.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    description: Mapped[str] = mapped_column(sa.Text)
    category: Mapped[str] = mapped_column(sa.String(40), default="other")
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    unit: Mapped[str] = mapped_column(sa.String(200), default="each")
    unit_price: Mapped[Decimal] = mapped_column(Money)
    total: Mapped[Decimal] = mapped_column(Money)
    # A line taken from the catalogue: the agreement item whose description and price
    # it carries (a call-off orders it at that price).
    catalogue_item_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("agreement_items.id"), index=True
    )

    request: Mapped[PurchaseRequest] = relationship(back_populates="lines")

    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("unit_price >= 0", name="unit_price_not_negative"),
    )


class ApprovalStep(db.Model):
    __tablename__ = "approval_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        sa.ForeignKey("purchase_requests.id", ondelete="CASCADE"), index=True
    )
    # The request's department, kept on the step (set on insert, below; a request's
    # department does not change once it is submitted) so that an approver's inbox is
    # one index walked in wait order: ``ix_approval_steps_waiting``.
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("departments.id"))
    round: Mapped[int]
    position: Mapped[int]
    name: Mapped[str] = mapped_column(sa.String(40))
    role: Mapped[Role] = mapped_column(enum_column(Role, "step_role"))
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[StepStatus] = mapped_column(enum_column(StepStatus, "step_status"))
    pending_since: Mapped[dt.datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    on_behalf_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None]
    comment: Mapped[str] = mapped_column(sa.Text, default="")

    request: Mapped[PurchaseRequest] = relationship(back_populates="steps")
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    on_behalf_of: Mapped[User | None] = relationship(foreign_keys=[on_behalf_of_id])

    __table_args__ = (
        sa.UniqueConstraint("request_id", "round", "position", name="uq_approval_steps_order"),
        # The decider is recorded exactly when a step is decided.
        sa.CheckConstraint(
            "(status IN ('approved', 'rejected', 'returned')) = (decided_by_id IS NOT NULL)",
            name="decided_by_when_decided",
        ),
        sa.CheckConstraint(
            "(status = 'pending') = (pending_since IS NOT NULL)", name="pending_since_when_pending"
        ),
        sa.Index("ix_approval_steps_inbox", "status", "role", "pending_since"),
        # What waits, by role and department, oldest first: the inbox reads a page of it,
        # and counts it with what it asks of each step (migration 0035, PostgreSQL).
        sa.Index(
            "ix_approval_steps_waiting",
            "role",
            "department_id",
            "pending_since",
            "request_id",
            postgresql_include=["id", "position"],
            postgresql_where=sa.text("status = 'pending'"),
            sqlite_where=sa.text("status = 'pending'"),
        ),
    )


@sa.event.listens_for(ApprovalStep, "before_insert")
def _department_of_request(_mapper, connection: sa.Connection, step: ApprovalStep) -> None:
    if step.department_id is not None:
        return
    if step.request is not None:
        step.department_id = step.request.department_id
    else:
        step.department_id = connection.scalar(
            sa.select(PurchaseRequest.department_id).where(PurchaseRequest.id == step.request_id)
        )


class ApprovalReminder(db.Model):
    """A reminder that a step waits longer than its service level: at most one per
    step, person and day, however often ``send-reminders`` runs."""

    __tablename__ = "approval_reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    step_id: Mapped[int] = mapped_column(sa.ForeignKey("approval_steps.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    day: Mapped[dt.date]
    queued_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("step_id", "user_id", "day", name="uq_approval_reminders_once"),
    )


class PolicyRule(db.Model):
    """One rule of the approval policy. A request needs a step when any active rule
    of that step matches it; a rule matches when all of its conditions hold."""

    __tablename__ = "policy_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    step: Mapped[str] = mapped_column(sa.String(40))
    role: Mapped[Role] = mapped_column(enum_column(Role, "policy_role"))
    # Steps are ordered by this; rules of one step should share it.
    step_order: Mapped[int] = mapped_column(default=10)
    min_total: Mapped[Decimal | None] = mapped_column(Money)
    category: Mapped[str | None] = mapped_column(sa.String(40))
    department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("departments.id"))
    when_over_budget: Mapped[bool] = mapped_column(default=False)
    # Conditions on the request type and on one of its fields (equal to the value).
    request_type: Mapped[str | None] = mapped_column(sa.String(40))
    field_name: Mapped[str | None] = mapped_column(sa.String(40))
    field_value: Mapped[str | None] = mapped_column(sa.String(200))
    # Not needed when every line of the request is a catalogue item (pre-approved);
    # never for the department step.
    skip_for_catalogue: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    department: Mapped[Department | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint("min_total IS NULL OR min_total >= 0", name="min_total_not_negative"),
    )
