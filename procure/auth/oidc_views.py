"""OpenID Connect sign-in: /login/oidc and its callback (procure/identity/oidc.py)."""
