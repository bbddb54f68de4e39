"""Shared by the studies of docs/magnets.md: configurations on the scaling family's geometry,
running a configuration to its result file (resumable), and saving figures."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
OUT = HERE / "out"
sys.path.insert(0, str(ROOT / "runs" / "scaling"))


def configuration(L: int, overrides: dict) -> dict:
    """The scaling family's member with L spins (the paper's couplings and packets, an open
    chain long enough that nothing reaches its ends before t_max = auto), with dotted-key
    ``overrides`` applied, resolved."""
    from family import family

    from qst_mps.config import apply_overrides, resolve

    return resolve(apply_overrides(family(L), [f"{k}={v!r}" if isinstance(v, str) else
                                               f"{k}={v}" for k, v in overrides.items()]))


def run(config: dict, path: Path, progress: bool = True) -> str:
    """Run (or resume, or skip when complete) ``config`` into ``path``; return the status, or
    the refusal's or the health check's message."""
    from qst_mps import results
    from qst_mps.config import ConfigError
    from qst_mps.safeguards.health import NumericalFailure
    from qst_mps.simulation import simulate

    path.parent.mkdir(parents=True, exist_ok=True)
    status = results.status(path) if path.exists() else None
    if status == "complete":
        return "complete"
    config = {**config, "output": {**config["output"], "path": str(path)}}
    try:
        simulate(config, path, progress=progress, resume=status == "running")
    except ConfigError as err:
        return f"refused: {err}"
    except NumericalFailure as err:  # the file keeps its last good checkpoint
        return f"stopped: {err}"
    return "complete"


def complete(path: Path):
    """The results of ``path`` when the run there is complete, else None."""
    import qst_mps

    if not path.exists():
        return None
    result = qst_mps.load(path)
    return result if result.status == "complete" else None


def save(figure, name: str) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.png"
    figure.savefig(path, dpi=150)
    return path


def study_main(description: str, run_all, report, argv=None) -> int:
    """``run [--backend exact mps]`` and ``report``, the two commands of a study."""
    import argparse

    parser = argparse.ArgumentParser(description=description)
    sub = parser.add_subparsers(dest="command", required=True)
    runs = sub.add_parser("run")
    runs.add_argument("--backend", nargs="+", default=["exact", "mps"])
    sub.add_parser("report")
    args = parser.parse_args(argv)
    {"run": run_all, "report": report}[args.command](args)
    return 0
