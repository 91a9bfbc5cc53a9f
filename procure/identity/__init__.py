"""Where accounts come from: identity providers (OpenID Connect, SAML), the directory
(LDAP, SCIM) and the mapping of their groups to Procure's roles. No views here: the
sign-in pages are in ``procure/auth/``, SCIM in ``procure/scim/``."""
