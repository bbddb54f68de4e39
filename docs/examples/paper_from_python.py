# %% [markdown]
# # The paper's Fig. 2 a and a θ scan, from Python
#
# A percent-format script (open it as a notebook in Jupyter or VS Code, or run it with
# `python docs/examples/paper_from_python.py`): `qst_mps.run` runs each state of the paper's
# model on the exact backend (a few seconds each) and returns its results; the figures are
# drawn with matplotlib. Result files go to `paper_from_python/`.

# %%
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import qst_mps

folder = Path("paper_from_python")
folder.mkdir(exist_ok=True)


def run(name: str, **state):
    """The paper's model (the built-in default) with some [state] keys changed; a complete
    result file is read instead of run again."""
    path = folder / f"{name}.h5"
    if path.exists() and qst_mps.load(path).status == "complete":
        return qst_mps.load(path)
    return qst_mps.run({"state": state}, path, force=True, progress=False)


# %% [markdown]
# ## Fig. 2 a: Δσ_z(t) of a single ↓ electron and three pair states

# %%
states = {"single ↓": {"pair": "single_down"}, "singlet": {"pair": "singlet"},
          "triplet m = 0": {"pair": "triplet_0"}, "triplet m = −1": {"pair": "triplet_minus"}}
fig, ax = plt.subplots(figsize=(5.5, 3.8))
for label, state in states.items():
    result = run(state["pair"], **state)
    ax.plot(result["time"], result["delta_sigma_z"], label=label)
    print(f"{label:16s} plateau Δσ_z = {result['delta_sigma_z'][-1]:.4f}")
ax.set_xlabel("time (fs)")
ax.set_ylabel(r"$\Delta\sigma_z$ ($\hbar$)")
ax.legend(frameon=False)
fig.tight_layout()
fig.savefig(folder / "fig2a.png", dpi=150)

# %% [markdown]
# ## The plateau against the relative phase θ of the pair (Fig. 4 a)

# %%
thetas = np.linspace(0, 2 * np.pi, 9)
plateaus = [run(f"theta_{k}", pair="theta", theta=float(theta))["delta_sigma_z"][-1]
            for k, theta in enumerate(thetas)]
fig, ax = plt.subplots(figsize=(5.5, 3.8))
ax.plot(thetas / np.pi, plateaus, "o-")
ax.set_xlabel(r"$\theta/\pi$")
ax.set_ylabel(r"$\Delta\sigma_z$ at 100 fs ($\hbar$)")
fig.tight_layout()
fig.savefig(folder / "theta_scan.png", dpi=150)
print("θ = 0 (singlet) and θ = π (triplet_0):", round(plateaus[0], 4), round(plateaus[4], 4))
