"""The estimates behind the SLURM sizes (qst_mps/estimate.py) against measured runs.

    python runs/bench/estimates.py

The measured wall times and peaks are those of docs/notes/scaling.md (mps runs of the scaling
family, chi_max 256, on the 2-core machine) and docs/cluster.md (the paper's exact runs); the
estimates are computed here from the same configurations.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "runs" / "scaling"))

MEASURED = {  # (L, pair, backend): (wall s, peak MiB or None), docs/notes/scaling.md
    (16, "singlet", "mps"): (930, None),
    (32, "singlet", "mps"): (1516, None),
    (64, "singlet", "mps"): (3265, 484),
    (128, "singlet", "mps"): (12704, 816),
    (16, "triplet_minus", "mps"): (1711, None),
    (32, "triplet_minus", "mps"): (3137, None),
    (128, "triplet_minus", "mps"): (19714, 974),
    (32, "triplet_minus", "exact"): (8881, 21494),
}


def main() -> int:
    from family import family

    from qst_mps.config import load_toml, resolve
    from qst_mps.estimate import estimate

    base = load_toml(ROOT / "models" / "scaling.toml")
    print(f"{'run':34s} {'estimate s':>10s} {'measured s':>10s} {'ratio':>6s} "
          f"{'estimate MiB':>12s} {'measured MiB':>12s}")
    for (L, pair, backend), (wall, peak) in MEASURED.items():
        point = family(L)
        sections = set(base) | set(point)
        merged = {k: {**base.get(k, {}), **point.get(k, {})} for k in sections}
        merged["state"]["pair"] = pair
        merged["evolution"]["backend"] = backend
        guess = estimate(resolve(merged))
        print(f"{f'{pair}, L = {L}, {backend}':34s} {guess.seconds:10.0f} {wall:10.0f} "
              f"{guess.seconds / wall:6.2f} {guess.memory / 2**20:12.0f} "
              f"{'–' if peak is None else peak:>12}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
