"""What the asset register is set to: which purchase categories become assets and
which licence pools, the places an asset may be (suggestions), how long before a
warranty ends its reminder goes out. Admin edits them on ``/admin/assets`` or through
``PUT /api/v1/settings/assets``; the defaults are in ``settings.py``."""

from __future__ import annotations

import dataclasses

from .. import access, reference, settings
from ..models import User
from ..validation import FieldErrors

HARDWARE = "assets.hardware_categories"
LICENCES = "assets.licence_categories"
LOCATIONS = "assets.locations"
REMINDER_DAYS = "assets.warranty_reminder_days"
MAX_LOCATIONS = 200
LOCATION_MAX = 200


@dataclasses.dataclass(frozen=True)
class Registry:
    hardware_categories: list[str]
    licence_categories: list[str]
    locations: list[str]
    warranty_reminder_days: int


def current() -> Registry:
    return Registry(
        hardware_categories=list(settings.get(HARDWARE)),
        licence_categories=list(settings.get(LICENCES)),
        locations=list(settings.get(LOCATIONS)),
        warranty_reminder_days=int(settings.get(REMINDER_DAYS)),
    )


def kind_of(category: str | None) -> str | None:
    """``"asset"`` for a hardware-like category, ``"licence"`` for a licence-like one,
    None for what the register does not keep (services, maintenance…)."""
    registry = current()
    if category in registry.hardware_categories:
        return "asset"
    if category in registry.licence_categories:
        return "licence"
    return None


def update(
    *,
    hardware_categories: list[str],
    licence_categories: list[str],
    locations: list[str],
    warranty_reminder_days: object,
    actor: User,
) -> Registry:
    """Save the register's settings (admin); every problem is named beside its field."""
    access.require(actor, "administer", action="change the asset register's settings")
    errors = FieldErrors()
    known = set(reference.category_names(active_only=False))
    for field, chosen in (
        ("hardware_categories", hardware_categories),
        ("licence_categories", licence_categories),
    ):
        unknown = sorted({c for c in chosen if c not in known})
        if unknown:
            errors.add(field, f"Unknown categories: {', '.join(unknown)}.")
    both = sorted(set(hardware_categories) & set(licence_categories))
    if both:
        errors.add(
            "licence_categories",
            f"A category is either hardware or licences, not both: {', '.join(both)}.",
        )
    cleaned: list[str] = []
    for index, place in enumerate(locations):
        text = errors.text(place, f"locations.{index}", max_length=LOCATION_MAX)
        if text and text.casefold() not in {c.casefold() for c in cleaned}:
            cleaned.append(text)
    if len(cleaned) > MAX_LOCATIONS:
        errors.add("locations", f"Keep at most {MAX_LOCATIONS} locations.")
    days = _days(warranty_reminder_days, errors)
    errors.raise_if_any()
    settings.put(HARDWARE, sorted(set(hardware_categories)), actor=actor)
    settings.put(LICENCES, sorted(set(licence_categories)), actor=actor)
    settings.put(LOCATIONS, sorted(cleaned, key=str.casefold), actor=actor)
    settings.put(REMINDER_DAYS, days, actor=actor)
    return current()


def _days(value: object, errors: FieldErrors) -> int:
    try:
        days = int(str(value).strip())
    except ValueError:
        errors.add("warranty_reminder_days", "Give a whole number of days.")
        return 0
    if not 1 <= days <= 365:
        errors.add("warranty_reminder_days", "Give between 1 and 365 days.")
    return days
