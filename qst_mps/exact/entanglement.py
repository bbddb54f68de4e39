"""Reduced density matrices and Schmidt values of the exact state, for the optional observables
``magnet_entropy``, ``local_concurrence``, ``local_mutual_information`` and
``entanglement_entropy``.

- The local spins' density matrix ρ = Σ_e v_e v_e†, v_e the local part of electron configuration
  e, is kept as blocks (m, m') between lowering sectors: blocks with the same electron numbers
  (n↑, n↓) are coherent, others are not. In one S_z sector only diagonal blocks occur. One- and
  two-spin density matrices are partial traces of these blocks.
- For the chain's bipartitions the state is written in the site-ordered Fock basis
  (Π_x (c†_{x↑})^{n↑} (c†_{x↓})^{n↓} on every site in turn, local spin with its site), whose
  sign against this backend's order (all ↑ creators, then all ↓) is (−1)^{#(u ↑, d ↓): u > d}.
  It is a dense vector: small chains only (qst_mps/observables.py, ``EXACT_FOCK_SPACE``).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from ..quantum_info import concurrence, density_entropy, entropy, mutual_information
from .basis import cached_local


def _key(columns: np.ndarray, base: int) -> np.ndarray:
    """Integer key of each row of small non-negative integers (base ``base``)."""
    key = np.zeros(len(columns), dtype=np.int64)
    for column in columns.T:
        key = key * base + column
    return key


def _matches(a: np.ndarray, b: np.ndarray, keep: tuple, base: int) -> tuple:
    """Pairs (i, k) of rows of the local configurations a and b equal outside the spins
    ``keep``, with the kept values' indices (row of a, column of b) in the basis of those
    spins."""
    rest = [i for i in range(a.shape[1]) if i not in keep]
    key_a, key_b = _key(a[:, rest], base), _key(b[:, rest], base)
    order = np.argsort(key_b, kind="stable")
    low = np.searchsorted(key_b[order], key_a, "left")
    counts = np.searchsorted(key_b[order], key_a, "right") - low
    ia = np.repeat(np.arange(len(a)), counts)
    offsets = np.arange(len(ia)) - np.repeat(np.cumsum(counts) - counts, counts)
    ib = order[np.repeat(low, counts) + offsets]
    return ia, ib, _key(a[ia][:, list(keep)], base), _key(b[ib][:, list(keep)], base)


class LocalDensityMatrix:
    """The local spins' reduced density matrix of the exact state, by blocks."""

    def __init__(self, problem, spaces, names):
        model = problem.model
        self.L, self.spin = model.L, model.spin
        self.d = round(2 * model.spin) + 1
        self.groups = defaultdict(list)  # (n↑, n↓) -> [(space index, block)]
        for k, space in enumerate(spaces):
            for block in space.blocks:
                self.groups[(block.n_up, block.n_down)].append((k, space, block))
        present = {(b.m, c.m) for members in self.groups.values()
                   for _, _, b in members for _, _, c in members}
        self.present = sorted(present)
        self.traces = {}  # (m, m', kept spins) -> _matches(...)
        keeps = []
        if "local_mutual_information" in names:
            keeps += [(j,) for j in range(self.L)]
            keeps += [(j, k) for j in range(self.L) for k in range(j + 1, self.L)]
        elif "local_concurrence" in names:
            keeps += [(j, j + 1) for j in range(self.L - 1)]
        for m, m2 in self.present:
            a, b = cached_local(self.L, self.spin, m), cached_local(self.L, self.spin, m2)
            for keep in keeps:
                self.traces[(m, m2, keep)] = _matches(a.lowerings, b.lowerings, keep, self.d)

    def blocks(self, states: list, w: int) -> dict:
        """ρ_{m m'} (C_m × C_m') of state ``w`` (``states[k]`` is (W, dim) on space k)."""
        rho = {}
        for members in self.groups.values():
            parts = {}
            for k, space, block in members:
                n_local = block.shape[2]
                parts[block.m] = states[k][w, space.slice(block)].reshape(-1, n_local)
            for m, A in parts.items():
                for m2, B in parts.items():
                    rho[(m, m2)] = rho.get((m, m2), 0) + A.T @ B.conj()
        return rho

    def entropy(self, rho: dict) -> float:
        """von Neumann entropy of the local spins."""
        sectors = sorted({m for m, _ in rho})
        if all(m == m2 for m, m2 in rho):  # one S_z sector: block diagonal
            return entropy(np.concatenate([np.linalg.eigvalsh(rho[(m, m)]) for m in sectors]))
        sizes = [len(cached_local(self.L, self.spin, m)) for m in sectors]
        offsets = dict(zip(sectors, np.cumsum([0, *sizes[:-1]]), strict=True))
        dense = np.zeros((sum(sizes), sum(sizes)), dtype=complex)
        for (m, m2), block in rho.items():
            dense[offsets[m]:offsets[m] + block.shape[0],
                  offsets[m2]:offsets[m2] + block.shape[1]] = block
        return density_entropy(dense)

    def reduced(self, rho: dict, keep: tuple) -> np.ndarray:
        """The density matrix of the spins ``keep`` (basis: their lowerings, first spin
        major)."""
        size = self.d ** len(keep)
        out = np.zeros(size * size, dtype=complex)
        for (m, m2), block in rho.items():
            ia, ib, row, column = self.traces[(m, m2, keep)]
            np.add.at(out, row * size + column, block[ia, ib])
        return out.reshape(size, size)

    def measure(self, rho: dict, names) -> dict:
        out = {}
        if "magnet_entropy" in names:
            out["magnet_entropy"] = self.entropy(rho)
        every_pair = "local_mutual_information" in names
        neighbours = "local_concurrence" in names
        pairs = {(j, k): self.reduced(rho, (j, k))
                 for j in range(self.L) for k in range(j + 1, self.L)
                 if every_pair or (neighbours and k == j + 1)}
        if "local_concurrence" in names:
            out["local_concurrence"] = np.array([concurrence(pairs[(j, j + 1)])
                                                 for j in range(self.L - 1)])
        if "local_mutual_information" in names:
            singles = np.array([self.reduced(rho, (j,)) for j in range(self.L)])
            out["local_mutual_information"] = mutual_information(singles, pairs)
        return out


class ChainCuts:
    """Schmidt values of the bipartitions (sites 0 … x | x+1 … N−1) of the exact state."""

    def __init__(self, problem, spaces):
        model = problem.model
        N, two_s = model.N, round(2 * model.spin)
        spin_dim = np.ones(N, dtype=np.int64)
        spin_dim[list(model.spin_sites)] = two_s + 1
        self.dims = 4 * spin_dim
        stride = np.ones(N, dtype=np.int64)
        stride[:-1] = np.cumprod(self.dims[::-1])[::-1][1:]
        self.size = int(np.prod(self.dims))
        self.layout = []
        for space in spaces:
            index = np.empty(space.dim, dtype=np.int64)
            sign = np.empty(space.dim)
            for block in space.blocks:
                up = block.up.occupation.toarray()
                down = block.down.occupation.toarray()
                fermion = spin_dim * stride
                local = block.local.lowerings @ stride[list(model.spin_sites)]
                flat = (up @ fermion)[:, None, None] + (2 * down @ fermion)[None, :, None]
                index[space.slice(block)] = (flat + local[None, None, :]).ravel()
                above = np.cumsum(up[:, ::-1], axis=1)[:, ::-1] - up  # ↑ at sites > y
                swaps = above @ down.T
                sign[space.slice(block)] = np.repeat((1 - 2 * (swaps % 2)).ravel(),
                                                     block.shape[2])
            self.layout.append((index, sign))

    def spectra(self, states: list, w: int) -> list[np.ndarray]:
        """The squared Schmidt values of every cut x = 0 … N−2 of state ``w``, descending."""
        vector = np.zeros(self.size, dtype=complex)
        for (index, sign), psi in zip(self.layout, states, strict=True):
            vector[index] = sign * psi[w]
        out = []
        for x in range(len(self.dims) - 1):
            left = int(np.prod(self.dims[:x + 1]))
            M = vector.reshape(left, -1)
            gram = M @ M.conj().T if left <= M.shape[1] else M.conj().T @ M
            out.append(np.sort(np.linalg.eigvalsh(gram))[::-1])
        return out

    def entropies(self, states: list, w: int) -> np.ndarray:
        """Entanglement entropy of every cut (N − 1 values) of state ``w``."""
        return np.array([entropy(p) for p in self.spectra(states, w)])
