"""Soak: ``policy.decide`` against the reference model on a million random pairs.

Run ``python bench/soak.py`` (``make soak``; ``--quick`` for a smoke run, ``--count N`` for
another size). The pairs and the model are the suite's own (``tests/policy/reference_pairs.py``
and ``tests/policy/reference.py``): the suite checks 10,000 of them on every ``make test``; this
goes a hundred times further, for the rare corners 10,000 may miss. Each pair is seeded by its
serial number, so ``--start`` and ``--count`` replay any stretch, and a disagreement is printed
in full with the serial that reproduces it.

It prints how many pairs were compared, how many disagreed (there must be none) and pairs per
second (generating, deciding with the engine and with the model, comparing), and exits 1 on
any disagreement. Not part of ``make test``: it takes minutes, and timing stays out of tests.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

# The model and the generator live with the tests they serve; one copy of each, not two.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.policy.reference import decide, disagreement, observe
from tests.policy.reference_pairs import pair

SEED = 20251113
COUNT = 1_000_000
QUICK_COUNT = 2_000
#: Disagreements printed in full; the rest are counted.
SHOWN = 3


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="decide() against the reference model.")
    parser.add_argument("--count", type=int, default=COUNT, help=f"pairs (default {COUNT:,})")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_COUNT:,} pairs only")
    parser.add_argument("--seed", type=int, default=SEED, help=f"seed (default {SEED})")
    parser.add_argument("--start", type=int, default=0, help="first serial (to replay a stretch)")
    args = parser.parse_args(argv)
    count = QUICK_COUNT if args.quick else args.count
    # A line every tenth of a long run, so a soak shows it is alive; none for a short one.
    progress_every = count // 10 if count >= 100_000 else count + 1

    outcomes: Counter[str] = Counter()
    disagreements = 0
    started = time.perf_counter()
    for serial in range(args.start, args.start + count):
        snapshot, request = pair(args.seed, serial)
        expected = decide(request, snapshot)
        outcomes[expected.outcome] += 1
        problem = disagreement(request, snapshot, observe(request, snapshot), expected)
        if problem is not None:
            disagreements += 1
            if disagreements <= SHOWN:
                print(f"serial {serial} (seed {args.seed}):\n{problem}\n", flush=True)
        done = serial - args.start + 1
        if done % progress_every == 0 and done < count:
            rate = done / (time.perf_counter() - started)
            print(f"  {done:,} compared, {disagreements} disagreements, {rate:,.0f} pairs/s")
    elapsed = time.perf_counter() - started

    print(f"seed {args.seed}, serials {args.start:,} to {args.start + count - 1:,}")
    print(f"compared:      {count:,} pairs")
    print(f"disagreements: {disagreements}")
    print(f"rate:          {count / elapsed:,.0f} pairs/s ({elapsed:.1f} s, one process)")
    print("outcomes:      " + ", ".join(f"{k} {v:,}" for k, v in sorted(outcomes.items())))
    return 1 if disagreements else 0


if __name__ == "__main__":
    sys.exit(main())
