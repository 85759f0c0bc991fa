"""How long ``garante version`` and ``garante --help`` take to start, beside a bare Python.

Run ``python bench/cli.py`` (``--quick`` for fewer runs, as ``make test`` does). Each command
runs as a fresh subprocess of this interpreter, as the ``garante`` script runs it, so the time
is a person's wait at the prompt: interpreter start, imports, parsing, printing. The baseline,
``python -c pass``, is measured in the same run, interleaved with the commands, so a busy
machine slows every figure alike; the median of the runs is printed for each.

Target: both commands under 0.3 s of wall time. They import neither SQLAlchemy nor stix2 nor
FastAPI, nor Garante's records and concepts, which its commands name in annotations only
(``tests/cli/test_cli_startup.py`` holds them to it); what is left is Python, Typer, Rich and the
commands' own modules. No timing is asserted: ``--check`` only turns a missed target into exit
status 1.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time

TARGET_SECONDS = 0.3
GARANTE = "import sys; from garante.cli.main import app; sys.argv[0] = 'garante'; app()"
COMMANDS: dict[str, list[str]] = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "garante version": [sys.executable, "-c", GARANTE, "version"],
    "garante --help": [sys.executable, "-c", GARANTE, "--help"],
}


def run_once(argv: list[str]) -> float:
    began = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, check=False, env={**os.environ})
    elapsed = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{done.stderr.decode()}")
    return elapsed


def measure(runs: int) -> dict[str, float]:
    """The median wall time of each command, the runs interleaved: one of each per round."""
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for argv in COMMANDS.values():
        run_once(argv)  # warm the file cache and the bytecode
    for _ in range(runs):
        for name, argv in COMMANDS.items():
            times[name].append(run_once(argv))
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="5 runs of each instead of 21")
    parser.add_argument("--check", action="store_true", help="exit 1 if the target is missed")
    arguments = parser.parse_args()
    runs = 5 if arguments.quick else 21
    print(
        f"CLI start-up, median of {runs} runs ({platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} cores)"
    )
    medians = measure(runs)
    baseline = medians["python -c pass"]
    missed = False
    for name, seconds in medians.items():
        if name == "python -c pass":
            print(f"  {name:<16} {seconds:6.3f} s  (baseline)")
            continue
        met = seconds < TARGET_SECONDS
        missed = missed or not met
        verdict = "met" if met else "MISSED"
        print(
            f"  {name:<16} {seconds:6.3f} s  ({seconds - baseline:+.3f} s over the baseline; "
            f"target < {TARGET_SECONDS} s: {verdict})"
        )
    return 1 if arguments.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
