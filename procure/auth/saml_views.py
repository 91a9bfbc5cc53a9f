"""SAML 2.0 sign-in: /saml/metadata, /saml/login, /saml/acs (procure/identity/saml.py)."""
