"""The conserved total-S_z sector in second quantization, and the Hamiltonian of SPEC §1 on it.

Total S_z is conserved. Counting spin quanta below the fully polarized state (↑ electrons, local
spins at m = S), a state with q quanta splits into blocks: n_down ↓ electrons and m_loc = q − n_down
quanta on the local spins. Each block is a tensor product

    (n_e-electron configurations with n_down ↓)  ⊗  (local configurations with m_loc lowerings)

indexed as ``e_index * n_local + local_index``. The 2^L local space is never built: with q ≤ 2
only configurations with at most two lowered quanta appear.

Fermionic modes are ordered m = s·N + x (all ↑ modes, then all ↓ modes); a configuration is the
sorted tuple of occupied modes, the state c†_{m1} c†_{m2} |0⟩ with m1 < m2.
"""

from __future__ import annotations

from itertools import combinations_with_replacement

import numpy as np
import scipy.sparse as sp

from ..states import electron_spin_factor


class ElectronConfigs:
    """All configurations of ``n_electrons`` (1 or 2) electrons on N sites with ``n_down`` ↓."""

    def __init__(self, N: int, n_electrons: int, n_down: int):
        self.N, self.n_electrons, self.n_down = N, n_electrons, n_down
        if n_electrons == 1:
            self.modes = (n_down * N + np.arange(N))[:, None]
        elif n_down == 1:  # ↑ at x, ↓ at y, row-major in (x, y): reshapes to an (N, N) array
            x, y = np.divmod(np.arange(N * N), N)
            self.modes = np.stack([x, N + y], axis=1)
        else:
            x, y = np.triu_indices(N, 1)
            self.modes = np.stack([x, y], axis=1) + (N if n_down == 2 else 0)
        self.keys = self._key(self.modes)

    def __len__(self) -> int:
        return len(self.modes)

    def _key(self, modes: np.ndarray) -> np.ndarray:
        key = modes[:, 0].astype(np.int64)
        if self.n_electrons == 2:
            key = key * (2 * self.N) + modes[:, 1]
        return key

    def index(self, modes: np.ndarray) -> np.ndarray:
        """Row numbers of the given (sorted) configurations, which must belong to this set."""
        key = self._key(modes)
        idx = np.searchsorted(self.keys, key)
        if np.any(idx >= len(self.keys)) or np.any(self.keys[idx] != key):
            raise KeyError("configuration outside this electron set")
        return idx

    def move(self, slot: int, target: np.ndarray, coeff, dst: ElectronConfigs) -> sp.csr_matrix:
        """Matrix (dst × self) of Σ coeff · c†_target c_source, source = the electron in ``slot``.

        ``target`` gives the new mode for every configuration (-1: no term). The fermionic sign is
        -1 when the other electron sits strictly between the two modes.
        """
        n = len(self)
        ok = target >= 0
        new = self.modes.copy()
        new[:, slot] = target
        sign = np.ones(n)
        if self.n_electrons == 2:
            source, other = self.modes[:, slot], self.modes[:, 1 - slot]
            ok &= target != other
            low, high = np.minimum(source, target), np.maximum(source, target)
            sign[(other > low) & (other < high)] = -1.0
            new.sort(axis=1)
        values = (coeff * sign)[ok] if np.ndim(coeff) else coeff * sign[ok]
        rows = dst.index(new[ok])
        return sp.csr_matrix((values, (rows, np.nonzero(ok)[0])), shape=(len(dst), n))

    def hopping(self, t_h: float, periodic: bool) -> sp.csr_matrix:
        """-t_h Σ_{x,s} (c†_{x,s} c_{x+1,s} + h.c.) within this set."""
        N = self.N
        total = sp.csr_matrix((len(self), len(self)))
        for slot in range(self.n_electrons):
            spin, x = np.divmod(self.modes[:, slot], N)
            for shift in (1, -1):
                target = x + shift
                if periodic:
                    target %= N
                else:
                    target[(target < 0) | (target >= N)] = -1
                if N == 2 and periodic and shift == -1:
                    continue  # on a 2-site ring both neighbours are the same bond
                target = np.where(target >= 0, spin * N + target, -1)
                total = total + self.move(slot, target, -t_h, self)
        return total

    def spin_raise(self, site: int, dst: ElectronConfigs) -> sp.csr_matrix:
        """s⁺_site = c†_{site,↑} c_{site,↓} from this set (n_down) to ``dst`` (n_down − 1)."""
        total = sp.csr_matrix((len(dst), len(self)))
        for slot in range(self.n_electrons):
            target = np.where(self.modes[:, slot] == self.N + site, site, -1)
            total = total + self.move(slot, target, 1.0, dst)
        return total

    def s_z(self, sites: np.ndarray) -> np.ndarray:
        """⟨s^z_x⟩ (spin-1/2 units) of every configuration at the given sites: (len, len(sites))."""
        out = np.zeros((len(self), len(sites)))
        for slot in range(self.n_electrons):
            spin, x = np.divmod(self.modes[:, slot], self.N)
            out += (x[:, None] == sites[None, :]) * np.where(spin == 0, 0.5, -0.5)[:, None]
        return out


class LocalConfigs:
    """Configurations of L spins S with ``lowered`` quanta in total: l_j = S − m_j ∈ 0 … 2S."""

    def __init__(self, L: int, spin: float, lowered: int):
        self.L, self.spin, self.lowered = L, spin, lowered
        two_s = round(2 * spin)
        configs = set()
        for sites in combinations_with_replacement(range(L), lowered):
            counts = np.bincount(np.asarray(sites, dtype=int), minlength=L)
            if counts.max(initial=0) <= two_s:
                configs.add(tuple(counts))
        self.lowerings = np.array(sorted(configs), dtype=int).reshape(-1, L)
        self._lookup = {tuple(row): i for i, row in enumerate(self.lowerings)}

    def __len__(self) -> int:
        return len(self.lowerings)

    @property
    def s_z(self) -> np.ndarray:
        """S^z_j of every configuration, shape (len, L)."""
        return self.spin - self.lowerings

    def _ladder(self, m: np.ndarray, up: bool) -> np.ndarray:
        s = self.spin
        return np.sqrt(np.maximum(s * (s + 1) - m * (m + 1 if up else m - 1), 0.0))

    def _matrix(self, new: np.ndarray, ok: np.ndarray, values, dst: LocalConfigs):
        rows = [dst._lookup[tuple(row)] for row in new[ok]]
        return sp.csr_matrix((values[ok], (rows, np.nonzero(ok)[0])), shape=(len(dst), len(self)))

    def lower(self, j: int, dst: LocalConfigs) -> sp.csr_matrix:
        """S⁻_j from this set to ``dst`` (one more lowered quantum)."""
        ok = self.lowerings[:, j] < round(2 * self.spin)
        new = self.lowerings.copy()
        new[:, j] += 1
        return self._matrix(new, ok, self._ladder(self.s_z[:, j], up=False), dst)

    def exchange(self, J_ex: float) -> sp.csr_matrix:
        """-J_ex Σ_j S_j · S_{j+1} on the open chain of local spins, within this set."""
        sz = self.s_z
        total = sp.diags(-J_ex * np.sum(sz[:, :-1] * sz[:, 1:], axis=1)).tocsr()
        for j in range(self.L - 1):  # S⁺_j S⁻_{j+1}: move one lowering from j to j+1
            ok = (self.lowerings[:, j] > 0) & (self.lowerings[:, j + 1] < round(2 * self.spin))
            new = self.lowerings.copy()
            new[:, j] -= 1
            new[:, j + 1] += 1
            values = self._ladder(sz[:, j], up=True) * self._ladder(sz[:, j + 1], up=False)
            hop = self._matrix(new, ok, values, self)
            total = total - 0.5 * J_ex * (hop + hop.T)
        return total.tocsr()


class Block:
    """One tensor-product block of the sector, at ``offset`` in the state vector."""

    def __init__(self, electrons: ElectronConfigs, local: LocalConfigs, offset: int):
        self.electrons, self.local, self.offset = electrons, local, offset
        self.shape = (len(electrons), len(local))
        self.size = self.shape[0] * self.shape[1]
        self.slice = slice(offset, offset + self.size)

    @property
    def n_down(self) -> int:
        return self.electrons.n_down


class Sector:
    """The sector with ``n_electrons`` electrons and ``quanta`` spin quanta lowered.

    Parameters
    ----------
    N, L : int
        Conduction sites and local spins.
    spin : float
        Local spin S.
    n_electrons : int
        1 or 2.
    quanta : int
        Number of ↓ electrons plus lowered local quanta (conserved).
    """

    def __init__(self, N: int, L: int, spin: float, n_electrons: int, quanta: int):
        self.N, self.L, self.spin = N, L, spin
        self.n_electrons, self.quanta = n_electrons, quanta
        self.blocks: list[Block] = []
        offset = 0
        for n_down in range(min(n_electrons, quanta), -1, -1):
            lowered = quanta - n_down
            if lowered > round(2 * spin) * L:
                continue
            block = Block(
                ElectronConfigs(N, n_electrons, n_down), LocalConfigs(L, spin, lowered), offset
            )
            self.blocks.append(block)
            offset += block.size
        self.dim = offset

    @staticmethod
    def dimension(N: int, L: int, spin: float, n_electrons: int, quanta: int) -> int:
        """Sector dimension, computed without building anything."""
        from math import comb

        two_s, dim = round(2 * spin), 0
        for n_down in range(min(n_electrons, quanta) + 1):
            lowered = quanta - n_down
            if n_electrons == 1:
                n_el = N
            else:
                n_el = N * N if n_down == 1 else N * (N - 1) // 2
            # configurations of `lowered` quanta on L spins, at most 2S each
            n_loc = sum(
                (-1) ** k * comb(L, k) * comb(lowered - k * (two_s + 1) + L - 1, L - 1)
                for k in range(L + 1)
                if lowered - k * (two_s + 1) >= 0
            )
            dim += n_el * n_loc
        return dim

    def block(self, n_down: int) -> Block | None:
        """The block with ``n_down`` ↓ electrons, if the sector has it."""
        return next((b for b in self.blocks if b.n_down == n_down), None)

    def hamiltonian(self, model: dict, sites: np.ndarray) -> sp.csr_matrix:
        """SPEC §1 on this sector as a real symmetric CSR matrix (eV).

        ``model`` is the resolved [model] table, ``sites`` the conduction sites n_j.
        """
        J_sd = model["J_sd"] * electron_spin_factor(model)
        zz = model["sd_terms"] in ("full", "zz")
        flip = model["sd_terms"] in ("full", "flip")
        periodic = model["boundary"] == "periodic"
        n = len(self.blocks)
        grid = [[None] * n for _ in range(n)]
        for i, block in enumerate(self.blocks):
            e, loc = block.electrons, block.local
            diag = sp.kron(e.hopping(model["t_h"], periodic), sp.identity(len(loc)))
            diag = diag + sp.kron(sp.identity(len(e)), loc.exchange(model["J_ex"]))
            if zz:
                energies = -J_sd * (e.s_z(sites) @ loc.s_z.T)
                diag = diag + sp.diags(energies.ravel())
            grid[i][i] = diag
        for i, src in enumerate(self.blocks):
            for k, dst in enumerate(self.blocks):
                if not flip or dst.n_down != src.n_down - 1:
                    continue
                # -J_sd/2 Σ_j s⁺_{n_j} S⁻_j : one ↓ electron flips up, local spin j goes down
                term = sum(
                    sp.kron(
                        src.electrons.spin_raise(site, dst.electrons), src.local.lower(j, dst.local)
                    )
                    for j, site in enumerate(sites)
                )
                grid[k][i] = -0.5 * J_sd * term
                grid[i][k] = grid[k][i].T
        return sp.bmat(grid, format="csr", dtype=float)
