"""Helpers shared by more than one test suite (and by the benchmarks that start servers).

``conftest.py`` files hold fixtures only; what a fixture or a test needs from elsewhere is
imported from here: ``stores`` (where a server's data is), ``servers`` (starting ``garante
serve`` and ``garante demo`` and waiting for their port), ``scenario`` (the November 2025
scenario's start and bundles), ``postgres`` and ``nginx`` (throwaway real programs),
``docblocks`` (a page's commands), ``memlog`` (an in-memory log) and ``unavailable``.
"""
