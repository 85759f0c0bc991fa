"""Tests for garante.ledger, the pure verifiable-log core."""
