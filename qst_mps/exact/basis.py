"""The basis of the exact backend: electron configurations ⊗ local-spin configurations, in blocks.

Fermionic modes are ordered all ↑ modes, then all ↓ modes; a basis state of n↑ + n↓ electrons is
c†_{u1↑} … c†_{un↑↑} c†_{d1↓} … c†_{dn↓↓} |0⟩ with u1 < u2 < … and d1 < d2 < …. A local
configuration gives every spin its lowering l_j = S − m_j ∈ 0 … 2S.

A :class:`Block` fixes (n↑, n↓, m), m = Σ_j l_j: it is the tensor product (↑ configurations) ⊗
(↓ configurations) ⊗ (local configurations), indexed row-major in that order. Each set is in
lexicographic order, and its index is computed, not looked up. A :class:`Space` is a list of
blocks: one sector of the total S_z (q = n↓ + m fixed), or every block with the given number
of electrons when H does not conserve S_z. Nothing of size 2^L is built beyond the blocks used.
"""

from __future__ import annotations

import itertools
from functools import cache, cached_property
from math import comb

import numpy as np
import scipy.sparse as sp


class ElectronConfigs:
    """All sets of ``n`` occupied sites out of N for one spin species, in lexicographic order."""

    def __init__(self, N: int, n: int):
        self.N, self.n = N, n
        size = comb(N, n)
        flat = np.fromiter(itertools.chain.from_iterable(itertools.combinations(range(N), n)),
                           dtype=np.int64, count=size * n)
        self.sites = flat.reshape(size, n)
        # rank table: table[i, v] = Σ_{u < v} C(N − 1 − u, n − 1 − i)
        self._table = np.zeros((max(n, 1), N + 1), dtype=np.int64)
        for i in range(n):
            counts = [comb(N - 1 - u, n - 1 - i) for u in range(N)]
            self._table[i, 1:] = np.cumsum(counts)

    def __len__(self) -> int:
        return len(self.sites)

    def index(self, sites: np.ndarray) -> np.ndarray:
        """Row numbers of sorted configurations (rows of ``sites``) in this set."""
        rank = np.zeros(len(sites), dtype=np.int64)
        previous = np.full(len(sites), -1, dtype=np.int64)
        for i in range(self.n):
            rank += self._table[i, sites[:, i]] - self._table[i, previous + 1]
            previous = sites[:, i]
        return rank

    @cached_property
    def holding(self) -> sp.csc_matrix:
        """The configurations holding each site: column x lists their row numbers."""
        return self.occupation.tocsc()

    @cached_property
    def occupation(self) -> sp.csr_matrix:
        """(configurations × N) matrix of the site occupations n_x."""
        rows = np.repeat(np.arange(len(self)), self.n)
        return sp.csr_matrix((np.ones(rows.size), (rows, self.sites.ravel())),
                             shape=(len(self), self.N))

    def apply(self, ops) -> tuple:
        """Act with a product of ``ops`` — ("c†" | "c" | "n", x), in operator order, the last
        acting first — on every configuration.

        Returns (rows, columns, signs, n_after): the product maps configuration ``columns[k]``
        to ``signs[k]`` times configuration ``rows[k]`` of the set with ``n_after`` electrons.
        The fermionic sign counts the electrons of this species passed over.
        """
        kinds = tuple(kind for kind, _ in ops)
        rows, columns, signs, _, n_after = self.apply_many(kinds, np.array([[x for _, x in ops]]))
        return rows, columns, signs, n_after

    def apply_many(self, kinds: tuple, sites: np.ndarray) -> tuple:
        """:meth:`apply` for P products of the same shape at once: ``kinds`` in operator order,
        ``sites`` (P, len(kinds)) their sites. Returns (rows, columns, signs, products,
        n_after), ``products[k]`` the product each entry comes from."""
        P = len(sites)
        if kinds and kinds[-1] != "c†":  # only the configurations holding the first site
            by_site = self.holding
            first = sites[:, -1]
            counts = by_site.indptr[first + 1] - by_site.indptr[first]
            product = np.repeat(np.arange(P), counts)
            within = np.arange(product.size) - np.repeat(np.cumsum(counts) - counts, counts)
            rows = by_site.indices[by_site.indptr[first][product] + within]
        else:
            product = np.repeat(np.arange(P), len(self.sites))
            rows = np.tile(np.arange(len(self.sites)), P)
        config = self.sites[rows]
        alive = np.ones(len(rows), dtype=bool)
        sign = np.ones(len(rows))
        for k in range(len(kinds) - 1, -1, -1):
            kind, x = kinds[k], sites[product, k][:, None]
            if config.shape[1] == 0 and kind != "c†":  # nothing to find or remove
                alive[:] = False
                break
            here = config == x
            present = here.any(axis=1)
            if kind == "n":
                alive &= present
            elif kind == "c":
                alive &= present
                sign *= 1 - 2 * (np.argmax(here, axis=1) % 2)
                here[~present, -1] = True  # a dead row loses any site; it is dropped below
                config = config[~here].reshape(len(config), -1)
            else:  # c†
                alive &= ~present
                sign *= 1 - 2 * ((config < x).sum(axis=1) % 2)
                config = np.sort(np.concatenate([config, x], axis=1), axis=1)
        n_after = self.n + sum(+1 if kind == "c†" else -1 for kind in kinds if kind != "n")
        columns = rows[alive]
        if not 0 <= n_after <= self.N or columns.size == 0:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, sign[:0], empty, n_after
        return (cached_electrons(self.N, n_after).index(config[alive]), columns, sign[alive],
                product[alive], n_after)


def local_count(L: int, two_s: int, m: int) -> int:
    """Number of configurations of L spins with m lowered quanta, at most 2S each."""
    return _local_counts(L, two_s, max(m, 0))[L, m] if 0 <= m <= two_s * L else 0


@cache
def _local_counts(L: int, two_s: int, m: int) -> np.ndarray:
    """table[k, r]: configurations of k spins with r quanta (object ints: no overflow)."""
    table = np.zeros((L + 1, m + 1), dtype=object)
    table[0, 0] = 1
    for k in range(1, L + 1):
        for r in range(m + 1):
            table[k, r] = sum(table[k - 1, r - v] for v in range(min(two_s, r) + 1))
    return table


class LocalConfigs:
    """Configurations (l_0 … l_{L−1}) of L spins S with Σ l_j = m, in lexicographic order."""

    def __init__(self, L: int, spin: float, m: int):
        self.L, self.spin, self.m = L, spin, m
        self.two_s = two_s = round(2 * spin)
        self.lowerings = _enumerate(L, two_s, m)
        self._counts = _local_counts(L, two_s, max(m, 0)).astype(np.int64)

    def __len__(self) -> int:
        return len(self.lowerings)

    @property
    def s_z(self) -> np.ndarray:
        """S^z_j of every configuration, shape (len, L)."""
        return self.spin - self.lowerings

    def index(self, lowerings: np.ndarray) -> np.ndarray:
        """Row numbers of configurations (rows of ``lowerings``, all with Σ l = m)."""
        rank = np.zeros(len(lowerings), dtype=np.int64)
        remaining = np.full(len(lowerings), self.m, dtype=np.int64)
        for j in range(self.L):
            rest = self.L - j - 1
            for v in range(self.two_s):
                smaller = (lowerings[:, j] > v) & (remaining - v >= 0)
                rank[smaller] += self._counts[rest, (remaining - v)[smaller]]
            remaining = remaining - lowerings[:, j]
        return rank

    def apply(self, ops) -> tuple:
        """Act with a product of local ``ops`` — ("Sz" | "Sp" | "Sm", j), the last acting
        first — on every configuration: (rows, columns, values, m_after), as
        :meth:`ElectronConfigs.apply`."""
        s = self.spin
        low = self.lowerings.copy()
        values = np.ones(len(low))
        for name, j in reversed(ops):
            m = s - low[:, j]
            if name == "Sz":
                values = values * m
            elif name == "Sp":
                values = values * np.sqrt(np.maximum(s * (s + 1) - m * (m + 1), 0.0))
                low[:, j] -= 1
            else:  # Sm
                values = values * np.sqrt(np.maximum(s * (s + 1) - m * (m - 1), 0.0))
                low[:, j] += 1
        m_after = self.m + sum({"Sp": -1, "Sm": 1}.get(name, 0) for name, _ in ops)
        ok = (values != 0) & np.all((low >= 0) & (low <= self.two_s), axis=1)
        if not ok.any():
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), values[:0], m_after
        target = cached_local(self.L, s, m_after)
        return target.index(low[ok]), np.flatnonzero(ok), values[ok], m_after


@cache
def _enumerate_cached(L: int, two_s: int, m: int) -> np.ndarray:
    if L == 0:
        return np.zeros((1 if m == 0 else 0, 0), dtype=np.int64)
    parts = []
    for v in range(min(two_s, m) + 1):
        rest = _enumerate_cached(L - 1, two_s, m - v)
        if len(rest):
            parts.append(np.column_stack([np.full(len(rest), v, dtype=np.int64), rest]))
    return np.concatenate(parts) if parts else np.zeros((0, L), dtype=np.int64)


def _enumerate(L: int, two_s: int, m: int) -> np.ndarray:
    if not 0 <= m <= two_s * L:
        return np.zeros((0, L), dtype=np.int64)
    return _enumerate_cached(L, two_s, m)


@cache
def cached_electrons(N: int, n: int) -> ElectronConfigs:
    return ElectronConfigs(N, n)


@cache
def cached_local(L: int, spin: float, m: int) -> LocalConfigs:
    return LocalConfigs(L, spin, m)


class Block:
    """(n↑ configurations) ⊗ (n↓ configurations) ⊗ (local configurations with m lowerings)."""

    def __init__(self, N: int, L: int, spin: float, n_up: int, n_down: int, m: int):
        self.key = (n_up, n_down, m)
        self.n_up, self.n_down, self.m = n_up, n_down, m
        self.up, self.down = cached_electrons(N, n_up), cached_electrons(N, n_down)
        self.local = cached_local(L, spin, m)
        self.shape = (len(self.up), len(self.down), len(self.local))
        self.size = int(np.prod(self.shape))


def block_size(N: int, L: int, spin: float, n_up: int, n_down: int, m: int) -> int:
    """Size of a block, computed without building it."""
    if not (0 <= n_up <= N and 0 <= n_down <= N):
        return 0
    return comb(N, n_up) * comb(N, n_down) * int(local_count(L, round(2 * spin), m))


class Space:
    """An ordered list of blocks; the state vector is their concatenation.

    Parameters
    ----------
    N, L, spin : lattice
    keys : list of (n↑, n↓, m)
    """

    def __init__(self, N: int, L: int, spin: float, keys):
        self.N, self.L, self.spin = N, L, spin
        self.blocks, self.offsets = [], {}
        offset = 0
        for key in keys:
            if block_size(N, L, spin, *key) == 0:
                continue
            block = Block(N, L, spin, *key)
            self.blocks.append(block)
            self.offsets[block.key] = offset
            offset += block.size
        self.dim = offset

    def slice(self, block: Block) -> slice:
        start = self.offsets[block.key]
        return slice(start, start + block.size)

    def block(self, key) -> Block | None:
        return next((b for b in self.blocks if b.key == key), None)


def sector_keys(N: int, L: int, spin: float, n_electrons: int, q: int) -> list:
    """Blocks of the sector with q = n↓ + m (n↓ descending: all quanta on the electrons first)."""
    top = round(2 * spin) * L
    return [(n_electrons - n_down, n_down, q - n_down)
            for n_down in range(min(n_electrons, q), -1, -1)
            if 0 <= q - n_down <= top and n_electrons - n_down <= N and n_down <= N]


def all_keys(N: int, L: int, spin: float, n_electrons: int) -> list:
    """Every block with ``n_electrons`` electrons (when H does not conserve S_z)."""
    top = round(2 * spin) * L
    return [key for q in range(n_electrons + top + 1)
            for key in sector_keys(N, L, spin, n_electrons, q)]


def space_dimension(N: int, L: int, spin: float, keys) -> int:
    """Dimension of the space of these blocks, computed without building anything."""
    return sum(block_size(N, L, spin, *key) for key in keys)
