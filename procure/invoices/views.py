"""The invoice pages: /invoices, /invoices/<id>."""
