"""The ``garante`` command line: one Typer module per command group."""
