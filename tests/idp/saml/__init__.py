"""A real SAML 2.0 identity provider for the tests: pysaml2's own IdP
(``saml2.server.Server``) behind a small WSGI app on loopback (``idp.py``)."""

from .idp import SamlIdentityProvider, start_identity_provider

__all__ = ["SamlIdentityProvider", "start_identity_provider"]
