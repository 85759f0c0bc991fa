"""Garante: conditional intelligence sharing with enforceable terms and a verifiable audit log."""

__version__ = "0.1.0"
