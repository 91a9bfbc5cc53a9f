"""Finishing or refusing a sign-in through an identity provider."""
