"""The exact backend's implementation of the measured observables (qst_mps/observables.py),
for W states at once (the output times of one Lanczos window).

Diagonal quantities come from the block probabilities |ψ|², with sums over the short local
axis as BLAS products. Transverse spin components (S^x, S^y) couple neighbouring S_z sectors;
they are computed only when the state spans several sectors or H mixes them, and are zero
otherwise by symmetry.
"""

from __future__ import annotations

import numpy as np

from ..problem.terms import Product, el, loc
from .operators import matrix


def _expectation(columns_left: np.ndarray, operator, columns_right: np.ndarray) -> np.ndarray:
    """⟨a_w|O|b_w⟩ for the columns w of two (dim, W) arrays."""
    return np.einsum("iw,iw->w", columns_left.conj(), operator @ columns_right)


class Measurement:
    """Per-problem tables and operators, then ``measure(components)`` for a batch of states.

    Parameters
    ----------
    problem : Problem
    spaces : list of Space
        The components' spaces, in the order of the state's components.
    hamiltonians : list of sparse matrices
        H on each space.
    """

    def __init__(self, problem, spaces, hamiltonians):
        self.problem, self.spaces, self.hamiltonians = problem, spaces, hamiltonians
        model = problem.model
        self.scale, self.N, self.L = model.electron_scale, model.N, model.L
        self.K = problem.n_electrons
        self.transverse = len(spaces) > 1 or not model.conserves_sz
        spin_raise = [Product(1.0, (el("Sp", x),)) for x in range(model.N)]
        # S_el⁺ from each block to the block with one more ↑ (for ⟨S_el²⟩)
        self._raise_blocks = []
        from .basis import Space

        for space in spaces:
            for block in space.blocks:
                target = Space(model.N, model.L, model.spin,
                               [(block.n_up + 1, block.n_down - 1, block.m)])
                if target.dim:
                    single = Space(model.N, model.L, model.spin, [block.key])
                    self._raise_blocks.append(
                        (space, block, matrix(spin_raise, single, target)))
        self._pairs = []  # (space a, space b, S_el⁺ from b to a, [S⁺_j from b to a])
        if self.transverse:
            for a in spaces:
                for b in spaces:
                    local = [matrix([Product(1.0, (loc("Sp", j),))], b, a) for j in range(self.L)]
                    electron = matrix(spin_raise, b, a)
                    if electron.nnz or any(m.nnz for m in local):
                        self._pairs.append((a, b, electron, local))

    def measure(self, states: list[np.ndarray]) -> dict:
        """The measured observables of W states: ``states[k]`` is (W, dim) on space k."""
        W = len(states[0])
        sigma, s_loc = np.zeros((W, 3), dtype=complex), np.zeros((W, self.L, 3), dtype=complex)
        density, norm = np.zeros((W, self.N)), np.zeros(W)
        spin_squared, up = np.zeros(W), np.zeros((W, self.K + 1))
        energy = np.zeros(W)
        for space, psi, H in zip(self.spaces, states, self.hamiltonians, strict=True):
            for block in space.blocks:
                parts = psi[:, space.slice(block)].view(np.float64)
                squares = parts * parts
                prob = (squares[:, ::2] + squares[:, 1::2]).reshape(W, -1, block.shape[2])
                n_local = block.shape[2]
                p_electrons = (prob @ np.ones(n_local)).reshape(W, *block.shape[:2])
                p_local = np.ones(prob.shape[1]) @ prob
                weight = p_electrons.sum(axis=(1, 2))
                norm += weight
                s_z = 0.5 * (block.n_up - block.n_down)
                sigma[:, 2] += s_z * weight
                spin_squared += (s_z * s_z + s_z) * weight
                up[:, block.n_up] += weight
                s_loc[:, :, 2] += p_local @ block.local.s_z
                density += (block.up.occupation.T @ p_electrons.sum(axis=2).T).T
                density += (block.down.occupation.T @ p_electrons.sum(axis=1).T).T
            energy += self._energy(H, psi)
        for space, block, raising in self._raise_blocks:
            raised = raising @ psi_columns(states, self.spaces, space, block)
            spin_squared += np.einsum("iw,iw->w", raised.conj(), raised).real
        for a, b, electron, local in self._pairs:
            left = states[self.spaces.index(a)].T
            right = states[self.spaces.index(b)].T
            plus = _expectation(left, electron, right)
            sigma[:, 0] += plus.real
            sigma[:, 1] += plus.imag
            for j, op in enumerate(local):
                if op.nnz:
                    plus = _expectation(left, op, right)
                    s_loc[:, j, 0] += plus.real
                    s_loc[:, j, 1] += plus.imag
        return {
            "sigma_el": sigma.real * self.scale,
            "S_loc": s_loc.real,
            "electron_spin_squared": spin_squared,
            "electron_up_probabilities": up,
            "density": density,
            "norm": norm,
            "energy": energy,
        }

    @staticmethod
    def _energy(H, psi: np.ndarray) -> np.ndarray:
        """⟨ψ_w|H|ψ_w⟩ of the rows of ``psi`` in one pass over H; a real H acts on the real and
        imaginary parts as 2W real columns."""
        if np.isrealobj(H.data):
            columns = np.ascontiguousarray(psi.T).view(np.float64)
            return np.einsum("ij,ij->j", columns, H @ columns).reshape(len(psi), 2).sum(axis=1)
        columns = psi.T
        return np.einsum("iw,iw->w", columns.conj(), H @ columns).real


def psi_columns(states, spaces, space, block) -> np.ndarray:
    """The block's part of the states of ``space``, as (block size, W) columns."""
    return states[spaces.index(space)][:, space.slice(block)].T
