"""The use cases, one module per concept; ``service.app.Garante`` is all of them, for one
principal, over one context."""
