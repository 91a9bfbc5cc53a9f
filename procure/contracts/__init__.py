"""Maintenance and service contracts: terms, renewals, reminders."""
