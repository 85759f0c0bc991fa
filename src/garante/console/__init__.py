"""The web console: partners, orders, the held queue, releases, the audit log and charts."""

from garante.console.app import console_router

__all__ = ["console_router"]
