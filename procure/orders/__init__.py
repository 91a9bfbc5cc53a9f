"""Purchase orders: issuing, the frozen PDF, receiving, closing."""
