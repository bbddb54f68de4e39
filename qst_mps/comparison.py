"""Two result files side by side: where their configurations differ, which output times they
share, and the largest difference of every observable they both hold (``qst-mps compare``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import differences
from .errors import BadInput


@dataclass(frozen=True)
class Comparison:
    """What :func:`compare` found.

    Attributes
    ----------
    changed : dict
        Dotted key -> (value in A, value in B), for every configuration key (outside
        ``[output]``) whose values differ.
    times : ndarray
        The output times (fs) both runs record.
    recorded : tuple of int
        How many output times A and B record in all.
    largest : dict
        Observable -> max |A − B| over the shared times (in the observable's units), None
        where no shared time records it in both (the heavy ones, NaN off output.dt_heavy).
    """

    changed: dict
    times: np.ndarray
    recorded: tuple
    largest: dict


def compare(a, b) -> Comparison:
    """Compare the runs of two result files (paths or loaded ``Results``); observables whose
    shapes differ (other N or L) are left out.

    Raises
    ------
    BadInput
        A file cannot be read, or the runs share no output time.
    """
    from . import results
    from .simulation import ELAPSED

    a = results.load(a) if not isinstance(a, results.Results) else a
    b = results.load(b) if not isinstance(b, results.Results) else b
    stored_a, stored_b = a.config.as_dict(), b.config.as_dict()
    changed = {}
    for key in differences(stored_a, stored_b):
        section, name = key.split(".")
        changed[key] = (stored_a[section].get(name), stored_b.get(section, {}).get(name))
    # the output times the two runs share (a partial run against a complete one, or other grids)
    shared_a = np.nonzero(np.isclose(a["time"][:, None], b["time"][None, :], rtol=0,
                                     atol=1e-9).any(axis=1))[0]
    if not len(shared_a):
        raise BadInput("time", "the two runs share no output time")
    shared_b = np.array([np.argmin(np.abs(b["time"] - a["time"][i])) for i in shared_a])
    largest = {}
    for key in sorted(set(a) & set(b)):
        if key in ("time", ELAPSED):
            continue
        x, y = a[key][shared_a], b[key][shared_b]
        if x.shape == y.shape:
            both = np.isfinite(x) & np.isfinite(y)
            largest[key] = float(np.abs(x - y)[both].max()) if both.any() else None
    return Comparison(changed, a["time"][shared_a], (len(a["time"]), len(b["time"])), largest)
