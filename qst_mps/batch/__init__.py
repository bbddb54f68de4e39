"""Many runs: parameter sweeps (expansion, local runs, SLURM job arrays, collection).

``load`` expands a sweep file into its points; ``run_local`` runs them here, ``run_point`` one
of them (a SLURM task); ``slurm_scripts`` writes the job arrays and ``submit`` hands them to
sbatch; ``collect`` gathers the plateau values. ``qst_mps.sweep`` and ``qst_mps.collect`` are
the one-call forms.
"""

from .collect import SweepTable, collect
from .expand import Sweep, load
from .local import counts, run_local, run_point
from .slurm import max_array_size, slurm_resources, slurm_scripts, slurm_time, submit

__all__ = ["Sweep", "SweepTable", "collect", "counts", "load", "max_array_size", "run_local",
           "run_point", "slurm_resources", "slurm_scripts", "slurm_time", "submit"]
