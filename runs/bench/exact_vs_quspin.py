"""End to end: `qst-mps run` of the paper's singlet (exact) against a lean QuSpin script.

    python runs/bench/exact_vs_quspin.py [--runs 3]

Each side runs in a fresh process on one thread (OMP_NUM_THREADS=1), alternately, and is timed
from the outside, interpreter start-up and imports included:
- qst_mps: ``qst-mps run -o FILE`` on the built-in default (the paper's model, singlet, exact
  backend, every observable of the default output grid, the result file and its checkpoints);
- QuSpin, as a QuSpin user would write it for this one state (``--lean`` below): the tensor basis
  of the local spins and the reachable fermion sectors only ((N↑, N↓) = (1, 1) and (2, 0): the
  singlet on an all-up magnet reaches nothing else), the Hamiltonian from the operator strings of
  tests/quspin_reference.py, the initial pair built by QuSpin's creation operators in a small
  fermion basis and placed next to the all-up magnet, ``expm_multiply_parallel`` steps of 0.5 fs
  and only Δσ_z and the local S^z measured (from the diagonals). It writes nothing.

The ratio QuSpin / qst_mps of each pair is printed, then the median; the largest difference in
Δσ_z between the two shows that they solve the same problem.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def lean(partial: dict | None = None) -> dict:
    """The QuSpin solution of the singlet on the default configuration (updated by ``partial``);
    returns Δσ_z(t) and the time it took inside."""
    started = time.perf_counter()
    import numpy as np
    from quspin.basis import spin_basis_1d, spinful_fermion_basis_1d, tensor_basis
    from quspin.operators import hamiltonian
    from quspin.tools.evolution import expm_multiply_parallel

    sys.path.insert(0, str(ROOT / "tests"))
    from quspin_reference import HBAR, NO_CHECKS, QuSpinReference, packet

    from qst_mps.config import resolve  # the numbers of the default configuration only

    config = resolve(partial or {})
    model, state = config["model"], config["state"]
    N, L = model["N"], model["L"]
    local = spin_basis_1d(L, S="1/2", pauli=0)
    fermions = spinful_fermion_basis_1d(N, Nf=[(1, 1), (2, 0)])
    basis = tensor_basis(local, fermions)
    # the Hamiltonian: the reference's operator strings on this basis
    builder = QuSpinReference.__new__(QuSpinReference)
    builder.N, builder.L, builder.spin, builder.sites = N, L, 0.5, list(model["spin_sites"])
    scale = 2.0 if model["electron_spin"] == "pauli" else 1.0  # docs/physics.md
    builder.scale, builder.basis, builder.complex = scale, basis, False
    builder.B_loc = builder.B_el = [0.0, 0.0, 0.0]
    H = builder._hamiltonian(model).tocsr()
    # the singlet c†_{a↑}c†_{b↓} − c†_{a↓}c†_{b↑} (over √2) in a basis of at most one electron
    # per spin, then placed next to the all-up magnet
    small = spinful_fermion_basis_1d(N, Nf=[(0, 0), (1, 0), (0, 1), (1, 1)])
    periodic = model["boundary"] == "periodic"
    phi_b = packet(N, state["x2"] % N, state["k_e"], state["sigma_d"], periodic)
    phi_a = packet(N, (state["x2"] - state["d"]) % N, state["k_e"], state["sigma_d"], periodic)

    def create(phi, string):
        return hamiltonian([[string, [[phi[x], x] for x in range(N)]]], [], basis=small,
                           dtype=np.complex128, **NO_CHECKS)

    vacuum = np.zeros(small.Ns, dtype=complex)
    vacuum[small.index("0" * N, "0" * N)] = 1.0
    pair = (create(phi_a, "+|").dot(create(phi_b, "|+").dot(vacuum))
            - create(phi_a, "|+").dot(create(phi_b, "+|").dot(vacuum))) / np.sqrt(2)
    position = {int(s): i for i, s in enumerate(fermions.states)}
    up = int(np.argmax(hamiltonian([["z", [[1.0, j] for j in range(L)]]], [], basis=local,
                                   dtype=np.float64, **NO_CHECKS).diagonal()))
    psi = np.zeros(basis.Ns, dtype=complex)
    for i in np.flatnonzero(pair):
        psi[up * fermions.Ns + position[int(small.states[i])]] = pair[i]
    psi /= np.linalg.norm(psi)
    # Δσ_z = |σ_z(t) − σ_z(0)|, σ_z = scale s_z, s_z from the diagonal of (n↑ − n↓)/2
    every = [[0.5, x] for x in range(N)]
    s_z = hamiltonian([["|n|", every], ["||n", [[-0.5, x] for x in range(N)]]], [],
                      basis=basis, dtype=np.float64, **NO_CHECKS).diagonal()
    times = np.arange(0.0, config["evolution"]["t_max"] + 1e-9, config["evolution"]["dt_out"])
    step = expm_multiply_parallel(H, a=-1j * (times[1] - times[0]) / HBAR, dtype=np.complex128)
    sigma = [scale * float(np.abs(psi) ** 2 @ s_z)]
    for _ in times[1:]:
        psi = step.dot(psi, overwrite_v=True)
        sigma.append(scale * float(np.abs(psi) ** 2 @ s_z))
    return {"delta_sigma_z": [abs(s - sigma[0]) for s in sigma], "dimension": int(basis.Ns),
            "inside_s": time.perf_counter() - started}


def timed(command: list[str]) -> tuple[float, str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True, cwd=ROOT)
    return time.perf_counter() - start, done.stdout


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--lean", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.lean:
        print(json.dumps(lean()))
        return 0
    import numpy as np

    import qst_mps

    qst = [str(Path(sys.executable).with_name("qst-mps"))]
    if not Path(qst[0]).exists():
        qst = [sys.executable, "-m", "qst_mps"]
    ratios = []
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "paper.h5")
        for run in range(args.runs):
            ours, _ = timed([*qst, "run", "-o", path, "--force", "-q"])
            theirs, out = timed([sys.executable, __file__, "--lean"])
            lean_result = json.loads(out.strip().splitlines()[-1])
            ratios.append(theirs / ours)
            print(f"run {run + 1}: qst-mps run {ours:6.2f} s, QuSpin {theirs:6.2f} s "
                  f"(dimension {lean_result['dimension']:,}), ratio {ratios[-1]:5.1f}",
                  flush=True)
        ours_delta = qst_mps.load(path)["delta_sigma_z"]
    difference = np.max(np.abs(ours_delta - np.asarray(lean_result["delta_sigma_z"])))
    print(f"QuSpin / qst-mps end to end: median {statistics.median(ratios):.1f} "
          f"({', '.join(f'{r:.1f}' for r in ratios)}); max |ΔΔσ_z| {difference:.1e}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
