"""The scaling family (issue: scaling to many local spins): the paper's couplings and packets,
L = 4 … 128 local spins from the same distance to the packets, on an open chain long enough
that nothing reaches its ends before t_max = "auto".

    python runs/scaling/family.py            # print N, n_first and t_max for every L
    python runs/scaling/family.py --write    # (re)write runs/scaling/L004.toml … L128.toml

The chain: the local spins start at n_first; the packets at the paper's distances before them
(x2 = n_first − 4 σ_d, x1 = x2 − d). No part of the state moves faster than the band's largest
group velocity v_max = 2 t_h a/ħ, and the reflected part starts at the spins, so n_first ≥
v_max t_max + 5 σ_d keeps the left end clear; N − 1 ≥ x2 + 5 σ_d + v_max t_max the right end.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
LENGTHS = [4, 8, 16, 32, 64, 128]


def family(L: int) -> dict:
    """Partial configuration of the family member with L local spins (paper's defaults else)."""
    from qst_mps.config import load_toml, resolve
    from qst_mps.constants import HBAR
    from qst_mps.problem.geometry import final_time

    base = load_toml(ROOT / "models" / "scaling.toml")
    probe = {**base, "model": {**base["model"], "L": L, "N": 100_000, "n_first": 50_000}}
    resolved = resolve(probe)
    t_max, sigma = final_time(resolved), resolved["state"]["sigma_d"]
    reach = 2 * resolved["model"]["t_h"] / HBAR * t_max + 5 * sigma
    n_first = math.ceil(reach)
    x2 = n_first - 4 * sigma
    N = max(n_first + L, math.ceil(x2 + reach)) + 1
    return {**base, "model": {**base["model"], "L": L, "N": N, "n_first": n_first}}


def toml_text(L: int) -> str:
    from qst_mps.config import resolve
    from qst_mps.problem.geometry import final_time

    config = family(L)
    t_max = final_time(resolve(config))
    model = config["model"]
    return (
        f"# Scaling family, L = {L}: models/scaling.toml on an open chain of N = {model['N']}\n"
        f"# (written by runs/scaling/family.py; t_max = auto is {t_max:g} fs).\n"
        f"[model]\nN = {model['N']}\nL = {L}\nn_first = {model['n_first']}\n"
        f"boundary = \"open\"\n\n[evolution]\nt_max = \"auto\"\n"
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args(argv)
    for L in LENGTHS:
        text = toml_text(L)
        print(text.splitlines()[0], text.splitlines()[1], sep="\n")
        if args.write:
            (HERE / f"L{L:03d}.toml").write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
