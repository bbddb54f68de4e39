"""Figures from result files (matplotlib). Each function draws on a given Axes and returns it.

Colours and line styles follow the paper (Fig. 2 a): singlet red solid, triplet_0 blue dotted,
triplet_minus orange solid, single_down black dotted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .problem.geometry import n_packets, spin_sites, time_inside_chain

if TYPE_CHECKING:
    from .spec import RunSpec

STYLE = {
    "singlet": dict(color="tab:red", linestyle="-", label="singlet"),
    "triplet_0": dict(color="tab:blue", linestyle=":", label="triplet $m=0$"),
    "triplet_minus": dict(color="tab:orange", linestyle="-", label="triplet $m=-1$"),
    "triplet_plus": dict(color="tab:green", linestyle="-", label="triplet $m=+1$"),
    "single_down": dict(color="black", linestyle=":", label=r"single $\downarrow$"),
    "single": dict(color="tab:gray", linestyle="--", label="single electron"),
    "theta": dict(color="tab:purple", linestyle="-", label=r"$\theta$ state"),
}
PAIR_LABELS = ["singlet", "triplet $m=+1$", "triplet $m=0$", "triplet $m=-1$"]
PAIR_COLOURS = ["tab:red", "tab:green", "tab:blue", "tab:orange"]


def style_of(run) -> dict:
    """Line style of a run (from its configured pair state, or its box)."""
    state = run.config.state
    if state.electrons == "box":
        return dict(color="tab:brown", linestyle="-",
                    label=f"box, {state.n_up} ↑ {state.n_down} ↓")
    return dict(STYLE[state.pair])


def electrons_label(config: RunSpec) -> str:
    """What the electrons are, for titles: the pair state or the box."""
    state = config.state
    if state.electrons == "box":
        return f"box of {state.n_up} ↑ {state.n_down} ↓"
    return state.pair


def run_labels(runs) -> list[str]:
    """One label per run that tells the runs apart: the electrons, then every configuration key
    (and the backend) whose value is not the same in all of them; the file name when nothing
    differs."""
    from .config import differences

    varying = sorted({key for run in runs[1:] for key in differences(runs[0].config, run.config)})
    implied = {"state.pair", "state.electrons", "state.n_up", "state.n_down"}  # in the base
    labels = []
    for run in runs:
        parts = [electrons_label(run.config)]
        if len({r.backend for r in runs}) > 1:
            parts.append(run.backend)
        for key in varying:
            if key not in implied:
                section, name = key.split(".")
                value = getattr(getattr(run.config, section), name)
                parts.append(f"{name} = {value:.4g}" if isinstance(value, float)
                             else f"{name} = {value}")
        labels.append(", ".join(parts))
    if len(set(labels)) < len(labels):
        labels = [f"{label} ({run.config.output.path.split('/')[-1]})"
                  for label, run in zip(labels, runs, strict=True)]
    return labels


def shade_packets(ax, config: RunSpec) -> None:
    """Shade the intervals during which φ₁ and φ₂ are inside the spin chain (packets only)."""
    if config.state.electrons == "box":
        return
    for which, colour in ((2, "0.85"), (1, "0.92")):
        if n_packets(config.state) == 1 and which == 1:
            continue
        start, stop = time_inside_chain(config, which)
        if np.isfinite(start):
            ax.axvspan(start, stop, color=colour, zorder=0, lw=0)


def spin_transfer(ax, runs, labels=None, shade=True):
    """Δσ_z(t) of several runs (paper Fig. 2 a, 4 b)."""
    if shade and runs:
        shade_packets(ax, next((r.config for r in runs if n_packets(r.config.state) == 2),
                               runs[0].config))
    for i, run in enumerate(runs):
        style = style_of(run)
        if labels is not None:
            style["label"] = labels[i]
        ax.plot(run["time"], run["delta_sigma_z"], lw=1.8, **style)
    ax.set_xlabel("time (fs)")
    unit = "" if runs and runs[0].config.model.electron_spin == "half" else " (Pauli)"
    ax.set_ylabel(r"$\Delta\sigma_z$" + unit)
    ax.set_xlim(runs[0]["time"][0], runs[0]["time"][-1])
    ax.legend(frameon=False)
    return ax


def pair_probabilities(ax, run, shade=True):
    """P(singlet), P(T+), P(T0), P(T−) of the electron pair against time (paper Fig. 3)."""
    if "pair_spin_probabilities" not in run:
        raise ValueError(f"'pairs' needs runs of two electrons; {run.config.output.path} has "
                         f"{run['electron_up_probabilities'].shape[1] - 1}")
    if shade:
        shade_packets(ax, run.config)
    measured = np.isfinite(run["pair_spin_probabilities"][:, 0])  # output.dt_heavy
    for k in range(4):
        ax.plot(run["time"][measured], run["pair_spin_probabilities"][measured, k],
                color=PAIR_COLOURS[k], label=PAIR_LABELS[k], lw=1.6)
    ax.set_xlabel("time (fs)")
    ax.set_ylabel("probability")
    ax.set_xlim(run["time"][0], run["time"][-1])
    return ax


def plateau(ax, table, key: str, by: str | None = None, scale: float = 1.0, xlabel=None):
    """Plateau Δσ_z against the swept ``key``, one line per value of the swept ``by``."""
    keys = list(table.axes)
    values = table.values["delta_sigma_z"]
    x = np.asarray(table.axes[key], dtype=float) * scale
    if by is None:
        ax.plot(x, np.moveaxis(values, keys.index(key), 0).reshape(len(x), -1), "o-")
    else:
        moved = np.moveaxis(values, [keys.index(key), keys.index(by)], [0, 1])
        for j, label in enumerate(table.axes[by]):
            style = dict(STYLE.get(label, {"label": str(label)}))
            style["linestyle"] = "-"
            ax.plot(x, moved[:, j].reshape(len(x), -1)[:, 0], marker="o", ms=4, **style)
        ax.legend(frameon=False)
    ax.set_xlabel(xlabel or key)
    ax.set_ylabel(r"$\Delta\sigma_z$ (plateau)")
    return ax


def density_map(ax, run, name: str = "density"):
    """A space–time map: ``density`` n(x, t), or the z component of ``spin_density``, the
    spin chain marked by dashed lines."""
    values = run[name] if name == "density" else run[name][:, :, 2]
    image = ax.imshow(values.T, origin="lower", aspect="auto",
                      cmap="viridis" if name == "density" else "RdBu_r",
                      extent=(run["time"][0], run["time"][-1], -0.5, values.shape[1] - 0.5))
    if name != "density":
        limit = np.abs(values).max() or 1.0
        image.set_clim(-limit, limit)
    for site in (spin_sites(run.config.model).min(), spin_sites(run.config.model).max()):
        ax.axhline(site, color="0.3" if name != "density" else "white", lw=0.8, ls="--")
    ax.set_xlabel("time (fs)")
    ax.set_ylabel("site x (a)")
    label = r"$\langle n_x \rangle$" if name == "density" else r"$\langle s^z_x \rangle$ (ħ)"
    ax.figure.colorbar(image, ax=ax, label=label)
    return ax


def moments(axes, run):
    """Each local moment against time: its length |⟨S_j⟩| (a classical spin keeps it at S) on
    ``axes[0]``, and its components on ``axes[1]`` (z solid, x dashed, y dotted)."""
    S = run["S_loc"]
    length = np.linalg.norm(S, axis=2)
    colours = [f"C{j % 10}" for j in range(S.shape[1])]
    for j, colour in enumerate(colours):
        axes[0].plot(run["time"], length[:, j], color=colour, lw=1.2, label=f"j = {j}")
        axes[1].plot(run["time"], S[:, j, 2], color=colour, lw=1.2)
        if np.abs(S[:, j, :2]).max() > 1e-12:
            axes[1].plot(run["time"], S[:, j, 0], color=colour, lw=0.8, ls="--")
            axes[1].plot(run["time"], S[:, j, 1], color=colour, lw=0.8, ls=":")
    axes[0].axhline(run.config.model.spin, color="0.6", lw=0.8, ls=":")
    axes[0].set_ylabel(r"$|\langle \mathbf{S}_j \rangle|$ (ħ)")
    axes[1].set_ylabel(r"$\langle S^a_j \rangle$ (ħ): z —, x --, y ··")
    for ax in axes:
        ax.set_xlabel("time (fs)")
    if S.shape[1] <= 8:
        axes[0].legend(frameon=False, fontsize=7, ncol=2)
    return axes


ENTANGLEMENT = ("magnet_entropy", "local_concurrence", "local_mutual_information",
                "entanglement_entropy")


def entanglement(axes, run):
    """The entanglement quantities the run recorded, one axis each: the magnet's entropy, the
    concurrence of neighbouring spins, the mutual information of the first and last spin, and
    the largest entanglement entropy over the chain's bonds."""
    present = [name for name in ENTANGLEMENT if name in run]
    if not present:
        raise ValueError("entanglement needs a result file with output.observables among "
                         + ", ".join(ENTANGLEMENT))
    for ax, name in zip(axes, present, strict=False):
        values = run[name]
        if name == "local_concurrence":
            for j in range(values.shape[1]):
                ax.plot(run["time"], values[:, j], lw=1.2, label=f"({j}, {j + 1})")
            if values.shape[1] <= 8:
                ax.legend(frameon=False, fontsize=7)
        elif name == "local_mutual_information":
            values = values[:, 0, -1]
            ax.plot(run["time"], values, lw=1.4, label="first and last spin")
        elif name == "entanglement_entropy":
            ax.plot(run["time"], values.max(axis=1), lw=1.4, label="largest over the bonds")
        else:
            ax.plot(run["time"], values, lw=1.4)
        ax.set_xlabel("time (fs)")
        ax.set_ylabel(name.replace("_", " ") + (" (nat)" if name != "local_concurrence" else ""))
    return axes[:len(present)]


def diagnostics(ax, run):
    """Numerics against time. mps: the largest bond dimension, and the accumulated truncation
    error on a second (log) axis. exact: the drifts of the conserved norm, energy and S_z
    (log), which show the propagator's accuracy."""
    if "chi_max_bond" not in run:
        for name, values, style in (("|norm − 1|", run["norm"] - 1, "o-"),
                                    ("|E − E(0)| (eV)", run["energy"] - run["energy"][0], "s--"),
                                    ("|S_z − S_z(0)| (ħ)",
                                     run["S_z_total"] - run["S_z_total"][0], "^:")):
            drift = np.abs(values)
            ax.semilogy(run["time"], np.where(drift > 0, drift, np.nan), style, ms=3,
                        label=name)
        ax.set_xlabel("time (fs)")
        ax.set_ylabel("drift of a conserved quantity")
        ax.legend(frameon=False, fontsize=7)
        return ax
    ax.plot(run["time"], run["chi_max_bond"], "o-", ms=3, color="tab:blue")
    ax.set_xlabel("time (fs)")
    ax.set_ylabel(r"max bond dimension $\chi$", color="tab:blue")
    other = ax.twinx()
    error = np.where(run["truncation_error"] > 0, run["truncation_error"], np.nan)  # log axis
    other.semilogy(run["time"], error, "s--", ms=3, color="tab:red")
    other.set_ylabel("accumulated truncation error", color="tab:red")
    return ax


KINDS = ("transfer", "pairs", "density", "spacetime", "moments", "entanglement", "diagnostics")

CAPTIONS = {
    "spacetime": "Electron density n(x, t) (left) and, when recorded, the conduction electrons' "
                 "spin density ⟨s^z_x⟩ (right); dashed: the ends of the spin chain.",
    "moments": "Left: the length |⟨S_j⟩| of each local moment, which a classical spin keeps at "
               "S (dotted). Right: its components.",
    "entanglement": "Entanglement of the local spins with the electrons and among themselves, "
                    "and the largest entanglement entropy of a cut of the chain.",
}


def figure_for(paths, kind: str = "transfer"):
    """A figure of one kind (:data:`KINDS`) for result files."""
    import matplotlib.pyplot as plt

    from .results import load

    runs = [load(p) for p in paths]
    if kind not in KINDS:
        raise ValueError(f"unknown figure kind {kind!r}; choose one of {', '.join(KINDS)}")
    labels = run_labels(runs)
    if kind == "transfer":
        fig, ax = plt.subplots(figsize=(5, 3.5))
        spin_transfer(ax, runs, labels=labels if len(runs) > 1 else None)
    elif kind in ("pairs", "density", "diagnostics"):
        fig, axes = plt.subplots(1, len(runs), figsize=(4.5 * len(runs), 3.5), squeeze=False)
        for ax, run, label in zip(axes[0], runs, labels, strict=True):
            draw = {"pairs": pair_probabilities, "density": density_map,
                    "diagnostics": diagnostics}[kind]
            draw(ax, run)
            ax.set_title(label if len(runs) > 1 else
                         f"{label}, sd_terms = {run.config.model.sd_terms}", fontsize=9)
        if kind == "pairs":
            axes[0][0].legend(frameon=False, fontsize=8)
    else:
        columns = {"spacetime": 2, "moments": 2, "entanglement": 4}[kind]
        fig, axes = plt.subplots(len(runs), columns, figsize=(4.2 * columns, 3.3 * len(runs)),
                                 squeeze=False)
        for row, run, label in zip(axes, runs, labels, strict=True):
            if kind == "spacetime":
                density_map(row[0], run)
                if "spin_density" in run:
                    density_map(row[1], run, "spin_density")
                else:
                    row[1].set_axis_off()
            elif kind == "moments":
                moments(row, run)
            else:
                used = len(entanglement(row, run))
                for ax in row[used:]:
                    ax.set_axis_off()
            row[0].set_title(label if len(runs) > 1 else f"{label}, {run.backend}", fontsize=9)
        fig.text(0.01, 0.005, CAPTIONS[kind], fontsize=8, ha="left", va="bottom", wrap=True)
    fig.tight_layout(rect=(0, 0.04, 1, 1) if kind in CAPTIONS else None)
    return fig


def convergence(found):
    """Each run's error estimates against time (chi step solid, ε line dashed) and, with an
    exact run, its actual error (dotted): a :class:`qst_mps.convergence.Convergence`."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8.5, 4))
    for i, r in enumerate(found.runs):
        colour = f"C{i}"
        label = f"chi_max {r.config.evolution.chi_max}"
        if i > 0:
            ax.semilogy(found.time, found.steps[i], "-", color=colour, lw=1,
                        label=f"{label}: chi step")
        ax.semilogy(found.time, found.on_line[i], "--", color=colour, lw=1,
                    label=f"{label}: ε line")
        if found.actual is not None:
            ax.semilogy(found.time, found.actual[i], ":", color=colour, lw=1.5,
                        label=f"{label}: against exact")
    ax.set_ylim(1e-7, 1e-1)
    ax.set_xlabel("time (fs)")
    ax.set_ylabel(f"error in {found.name}")
    ax.legend(frameon=False, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    model = found.runs[0].config.model
    ax.set_title(f"{found.runs[0].config.state.pair}, L = {model.L}, N = {model.N}: chi step "
                 "(solid), ε line (dashed)" + (", exact (dotted)" if found.actual is not None
                                               else ""), fontsize=9)
    fig.tight_layout()
    return fig
