"""Small analyses of results: the θ dependence (Fig. 4 a) and the incoherent mixture (Fig. 4 b)."""

from __future__ import annotations

import numpy as np


def fit_theta(theta, values) -> dict:
    """Least-squares fit values(θ) = offset − amplitude · cos(θ − phase).

    With phase = 0 the minimum sits at θ = 0 (the singlet) and the maximum at θ = π
    (triplet_0). Returns offset, amplitude, phase (rad, in (−π, π]) and the rms residual.
    """
    theta, values = np.asarray(theta, dtype=float), np.asarray(values, dtype=float)
    design = np.stack([np.ones_like(theta), np.cos(theta), np.sin(theta)], axis=1)
    (offset, c, s), *_ = np.linalg.lstsq(design, values, rcond=None)
    residual = values - design @ np.array([offset, c, s])
    rms = float(np.sqrt(np.mean(residual**2)))
    return {"offset": float(offset), "amplitude": float(np.hypot(c, s)),
            "phase": float(np.arctan2(-s, -c)), "rms_residual": rms}


def incoherent_transfer(sigma_z_singlet, sigma_z_triplet_0) -> np.ndarray:
    """Δσ_z(t) of the mixture ½ρ_singlet + ½ρ_triplet_0 from the two runs' σ_z(t)."""
    mixture = 0.5 * (np.asarray(sigma_z_singlet) + np.asarray(sigma_z_triplet_0))
    return np.abs(mixture - mixture[0])
