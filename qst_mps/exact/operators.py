"""Operator products (problem/terms.py) as sparse matrices between the blocks of two spaces.

Each product is split into its ↑-electron, ↓-electron and local-spin factors. With the basis
state A†_U B†_D |0⟩ (↑ creators first, see basis.py), a product reordered as O↑ O↓ O_loc (the sign
of moving ↓ fermion operators past ↑ ones) acts as

    O↑ O↓ A†_U B†_D |0⟩ = (−1)^{p(O↓)·n↑} (O↑ A†_U)(O↓ B†_D) |0⟩,

so its matrix between two blocks is a Kronecker product of three small matrices, one per factor
space, each with the fermionic sign of its own species. Products that touch one factor space
only (hopping, exchange, fields) are summed in that space first, diagonal ones are summed as a
vector, and only the rest (the sd flips) are Kronecker products of their own.
"""

from __future__ import annotations

import itertools
from collections import defaultdict

import numpy as np
import scipy.sparse as sp

from .basis import LocalConfigs, Space

UP, DOWN = 0, 1
#: Electron operators as sums of (coefficient, [(species, "c†" | "c" | "n"), …]).
ELECTRON = {
    "Cdu": [(1.0, [(UP, "c†")])], "Cu": [(1.0, [(UP, "c")])],
    "Cdd": [(1.0, [(DOWN, "c†")])], "Cd": [(1.0, [(DOWN, "c")])],
    "Nu": [(1.0, [(UP, "n")])], "Nd": [(1.0, [(DOWN, "n")])],
    "NuNd": [(1.0, [(UP, "n"), (DOWN, "n")])],
    "Ntot": [(1.0, [(UP, "n")]), (1.0, [(DOWN, "n")])],
    "Sz": [(0.5, [(UP, "n")]), (-0.5, [(DOWN, "n")])],
    "Sp": [(1.0, [(UP, "c†"), (DOWN, "c")])], "Sm": [(1.0, [(DOWN, "c†"), (UP, "c")])],
}


def elementary(products):
    """Yield (coefficient, ↑ ops, ↓ ops, local ops, parity of ↓ fermion ops) for each product,
    with sums (S^z, N) expanded and the fermion operators reordered ↑ before ↓."""
    for product in products:
        choices = []
        for op in product.ops:
            if op.on == "el":
                choices.append([(c, [(s, kind, op.index) for s, kind in seq])
                                for c, seq in ELECTRON[op.name]])
            else:
                choices.append([(1.0, [("loc", op.name, op.index)])])
        for combination in itertools.product(*choices):
            coefficient = product.coefficient * np.prod([c for c, _ in combination])
            sequence = [factor for _, seq in combination for factor in seq]
            fermions = [s for s, kind, _ in sequence if kind in ("c", "c†")]
            swaps = sum(a == DOWN and b == UP for a, b in itertools.combinations(fermions, 2))
            ups = tuple((kind, x) for s, kind, x in sequence if s == UP)
            downs = tuple((kind, x) for s, kind, x in sequence if s == DOWN)
            local = tuple((name, j) for s, name, j in sequence if s == "loc")
            parity = sum(s == DOWN for s in fermions) % 2
            yield (-1) ** swaps * coefficient, ups, downs, local, parity


def _change(ops) -> int:
    return sum({"c†": 1, "c": -1, "Sp": -1, "Sm": 1}.get(kind, 0) for kind, _ in ops)


def _diagonal(ops) -> bool:
    return all(kind in ("n", "Sz") for kind, _ in ops)


class _Factors:
    """The action of factor products on the configuration sets, computed once each."""

    def __init__(self):
        self._cache = {}

    def triplets(self, configs, ops) -> tuple:
        key = (id(configs), ops)
        if key not in self._cache:
            self._cache[key] = configs.apply(ops)[:3]
        return self._cache[key]

    def matrix(self, configs, ops, size_after) -> sp.csr_matrix:
        rows, columns, values = self.triplets(configs, ops)
        return sp.csr_matrix((values, (rows, columns)), shape=(size_after, len(configs)))

    def summed(self, configs, terms, size_after, dtype) -> sp.csr_matrix:
        """Σ coefficient · (factor matrix) over ``terms`` = [(coefficient, ops), …]; the
        products of one shape (such as every hop) act on the electrons all at once."""
        parts = []
        shapes = defaultdict(list)
        for coefficient, ops in terms:
            if isinstance(configs, LocalConfigs):
                rows, columns, values = self.triplets(configs, ops)
                parts.append((rows, columns, coefficient * values))
            else:
                shapes[tuple(kind for kind, _ in ops)].append((coefficient, ops))
        for kinds, group in shapes.items():
            sites = np.array([[x for _, x in ops] for _, ops in group], dtype=np.int64)
            rows, columns, signs, product, _ = configs.apply_many(kinds, sites)
            coefficients = np.array([c for c, _ in group])
            parts.append((rows, columns, signs * coefficients[product]))
        rows = np.concatenate([r for r, _, _ in parts])
        columns = np.concatenate([c for _, c, _ in parts])
        values = np.concatenate([v for _, _, v in parts])
        return sp.csr_matrix((values.astype(dtype), (rows, columns)),
                             shape=(size_after, len(configs)))

    def electron_matrix(self, src, dst, terms, dtype) -> sp.csr_matrix:
        """Σ c · (↑ factor ⊗ ↓ factor) over ``terms`` = [(c, ↑ ops, ↓ ops), …], on the
        electron configurations of a block (↑ index major); the products of one shape act
        all at once."""
        shapes = defaultdict(list)
        for c, ups, downs in terms:
            shapes[(tuple(k for k, _ in ups), tuple(k for k, _ in downs))].append((c, ups, downs))
        rows, columns, values = [], [], []
        for (up_kinds, down_kinds), group in shapes.items():
            up = src.up.apply_many(up_kinds, np.array([[x for _, x in u] for _, u, _ in group],
                                                      dtype=np.int64).reshape(len(group), -1))
            down = src.down.apply_many(
                down_kinds, np.array([[x for _, x in d] for _, _, d in group],
                                     dtype=np.int64).reshape(len(group), -1))
            # pair every ↑ entry with every ↓ entry of the same product
            counts = np.bincount(down[3], minlength=len(group))
            starts = np.cumsum(counts) - counts
            order = np.argsort(down[3], kind="stable")
            repeat = counts[up[3]]
            i_up = np.repeat(np.arange(len(up[0])), repeat)
            within = np.arange(i_up.size) - np.repeat(np.cumsum(repeat) - repeat, repeat)
            i_down = order[starts[up[3]][i_up] + within]
            coefficients = np.array([c for c, _, _ in group])
            rows.append(up[0][i_up] * dst.shape[1] + down[0][i_down])
            columns.append(up[1][i_up] * src.shape[1] + down[1][i_down])
            values.append(coefficients[up[3][i_up]] * up[2][i_up] * down[2][i_down])
        shape = (dst.shape[0] * dst.shape[1], src.shape[0] * src.shape[1])
        return sp.csr_matrix((np.concatenate(values).astype(dtype),
                              (np.concatenate(rows), np.concatenate(columns))), shape=shape)

    def diagonal(self, configs, ops) -> np.ndarray:
        vector = np.zeros(len(configs))
        if ops:
            _, columns, values = self.triplets(configs, ops)
            vector[columns] = values
        else:
            vector[:] = 1.0
        return vector


def _kron(*factors) -> sp.csr_matrix:
    out = factors[0]
    for factor in factors[1:]:
        out = sp.kron(out, factor, format="csr")
    return out


def matrix(products, source: Space, target: Space | None = None) -> sp.csr_matrix:
    """The sum of ``products`` as a sparse matrix (target.dim × source.dim); target defaults to
    the source space. Real when every coefficient is real."""
    target = source if target is None else target
    terms = list(elementary(products))
    complex_valued = any(np.iscomplex(c) for c, *_ in terms)
    dtype = complex if complex_valued else float
    factors = _Factors()
    parts = defaultdict(lambda: defaultdict(list))  # (dst key, src key) -> kind -> contributions
    for src in source.blocks:
        for coefficient, ups, downs, local, parity in terms:
            key = (src.n_up + _change(ups), src.n_down + _change(downs), src.m + _change(local))
            dst = target.block(key)
            if dst is None or coefficient == 0:
                continue
            coefficient = coefficient * (-1) ** (parity * src.n_up)
            if not complex_valued:
                coefficient = float(np.real(coefficient))
            touched = [bool(ups), bool(downs), bool(local)]
            if sum(touched) == 1:
                kind = ("up", "down", "local")[touched.index(True)]
                parts[(dst.key, src.key)][kind].append((coefficient, ups or downs or local))
            elif _diagonal(ups) and _diagonal(downs) and _diagonal(local):
                parts[(dst.key, src.key)]["diagonal"].append((coefficient, ups, downs, local))
            else:
                parts[(dst.key, src.key)]["mixed"].append((coefficient, ups, downs, local))
    grid = [[None] * len(source.blocks) for _ in target.blocks]
    dst_index = {b.key: i for i, b in enumerate(target.blocks)}
    src_index = {b.key: i for i, b in enumerate(source.blocks)}
    for (dst_key, src_key), kinds in parts.items():
        dst, src = target.blocks[dst_index[dst_key]], source.blocks[src_index[src_key]]
        total = sp.csr_matrix((dst.size, src.size), dtype=dtype)
        identities = [sp.identity(n, format="csr") for n in src.shape]
        for position, kind in enumerate(("up", "down", "local")):
            if kind not in kinds:
                continue
            configs = (src.up, src.down, src.local)[position]
            size_after = dst.shape[position]
            pieces = list(identities)
            pieces[position] = factors.summed(configs, kinds[kind], size_after, dtype)
            total = total + _kron(*pieces)
        if "diagonal" in kinds:
            vector = np.zeros(src.size, dtype=dtype)
            for c, ups, downs, local in kinds["diagonal"]:
                vector += c * np.multiply.outer(
                    np.multiply.outer(factors.diagonal(src.up, ups),
                                      factors.diagonal(src.down, downs)),
                    factors.diagonal(src.local, local)).ravel()
            total = total + sp.diags(vector, format="csr")
        by_local = defaultdict(list)  # products with the same local factor share one kron
        for c, ups, downs, local in kinds.get("mixed", []):
            by_local[local].append((c, ups, downs))
        for local, electron_terms in by_local.items():
            electrons = factors.electron_matrix(src, dst, electron_terms, dtype)
            total = total + _kron(electrons, factors.matrix(src.local, local, dst.shape[2]))
        grid[dst_index[dst_key]][src_index[src_key]] = total
    for i, row in enumerate(grid):  # bmat needs a size for every block row and column
        if all(cell is None for cell in row):
            row[0] = sp.csr_matrix((target.blocks[i].size, source.blocks[0].size), dtype=dtype)
    for j in range(len(source.blocks)):
        if all(row[j] is None for row in grid):
            grid[0][j] = sp.csr_matrix((target.blocks[0].size, source.blocks[j].size),
                                       dtype=dtype)
    return sp.bmat(grid, format="csr", dtype=dtype)
