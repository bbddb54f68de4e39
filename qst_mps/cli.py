"""The ``qst-mps`` command (docs/usage.md): parse, resolve the configuration, call the library."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from .config import RESUMABLE_KEYS, apply_overrides, load_toml, resolve
from .errors import BadInput, ConfigError, Interrupted, NumericalFailure
from .safeguards.signals import INTERRUPTED, Stop, raising


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qst-mps", description="Quantum spin transfer of electrons and electron pairs."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run one configuration (no CONFIG: the paper's model)")
    run.add_argument("config", nargs="?", help="configuration file (TOML)")
    run.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                     help="override a key, e.g. --set model.L=8 --set state.pair=triplet_0")
    run.add_argument("-o", "--output", help="result file (default: [output] path)")
    run.add_argument("--force", action="store_true", help="overwrite an existing result file")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    resume = sub.add_parser("resume", help="continue an interrupted run, or extend t_max")
    resume.add_argument("result", help="result file of the run")
    resume.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="only " + ", ".join(RESUMABLE_KEYS) + " may change")
    resume.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    sweep = sub.add_parser("sweep", help="run a parameter sweep, locally or as a SLURM job array")
    sweep.add_argument("sweep", help="sweep file: a configuration plus a [sweep] table")
    sweep.add_argument("--folder", help="where the points' files go (default: next to the file)")
    sweep.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                       help="override a key of the base configuration of every point")
    sweep.add_argument("-j", "--jobs", type=int, default=1, help="local worker processes")
    sweep.add_argument("--slurm", action="store_true", help="write and submit a SLURM job array")
    sweep.add_argument("--dry-run", action="store_true", help="with --slurm: only write the script")
    sweep.add_argument("--max-array-size", type=int, default=None,
                       help="with --slurm: the cluster's MaxArraySize (default: from scontrol, "
                            "else 1001); larger sweeps are split into several arrays")
    sweep.add_argument("--time", help="with --slurm: time limit per point (SLURM's format; "
                       "default: from the largest point's estimate)")
    sweep.add_argument("--mem", help="with --slurm: memory per point (SLURM's format, e.g. 4G; "
                       "default: from the largest point's estimate)")
    sweep.add_argument("--status", action="store_true", help="count complete/running/failed points")
    sweep.add_argument("--task", type=int, help="run only point TASK (used by the job array)")
    sweep.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    collect = sub.add_parser("collect", help="table of plateau values of a sweep")
    collect.add_argument("sweep")
    collect.add_argument("--folder")
    collect.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                         help="the overrides the sweep was run with")
    plot = sub.add_parser("plot", help="draw result files")
    plot.add_argument("results", nargs="+", help="result files")
    plot.add_argument("-o", "--output", default="qst_mps_plot.png", help="figure file (PNG, PDF)")
    plot.add_argument("--kind", default="transfer",
                      choices=["transfer", "pairs", "density", "spacetime", "moments",
                               "entanglement", "diagnostics"],
                      help="Δσ_z(t), pair-spin probabilities, n(x, t), space-time maps of "
                           "density and spin density, local moments against time, "
                           "entanglement against time, or MPS bond dimension and truncation "
                           "error")
    compare = sub.add_parser("compare", help="max differences of the observables of two runs")
    compare.add_argument("a")
    compare.add_argument("b")
    converge = sub.add_parser(
        "converge", help="error estimates of mps runs of one problem at several chi_max",
        description="The error of each run from its step to the run at the next smaller "
                    "chi_max, and from the line through the two runs of least discarded weight "
                    "taken to zero weight (docs/usage.md: 'The error of a run at the chi_max "
                    "cap').")
    converge.add_argument("runs", nargs="+", help="mps result files at two chi_max or more")
    converge.add_argument("--exact", help="an exact result file of the same problem: the actual "
                                          "errors beside the estimates")
    converge.add_argument("--observable", default="delta_sigma_z",
                          help="a result name with a time axis (default: %(default)s); for one "
                               "with components the largest over them")
    converge.add_argument("--plot", help="also draw the estimates against time into this file")
    show = sub.add_parser("config", help="print the resolved configuration (TOML) or its reference")
    show.add_argument("config", nargs="?", help="configuration file (TOML)")
    show.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    show.add_argument("--reference", action="store_true", help="print the key reference (Markdown)")
    return parser


def _summary(out: dict, backend: str, reason: str, path: Path) -> str:
    drift = abs(out["S_z_total"] - out["S_z_total"][0]).max()
    lines = [
        f"backend            {backend} ({reason})",
        f"final time         {out['time'][-1]:g} fs, {len(out['time'])} output times",
        f"final Δσ_z         {out['delta_sigma_z'][-1]:.6f}",
        f"S_z_total drift    {drift:.2e}",
        f"norm drift         {np.nanmax(abs(out['norm'] - 1)):.2e}",  # NaN: output.dt_heavy
        f"energy drift       {np.nanmax(abs(out['energy'] - out['energy'][0])):.2e} eV",
        f"wall time          {out['wall_time']:.1f} s",
        f"result             {path}",
    ]
    return "\n".join(lines)


def _note(text: str) -> None:
    print(f"qst-mps: note: {text}", file=sys.stderr)


def _run(args) -> int:
    from .simulation import run_configuration

    out, _, path, (backend, reason) = run_configuration(
        args.config, args.output, overrides=args.set, force=args.force,
        progress=not args.quiet, note=_note)
    print(_summary(out, backend, reason, path))
    return 0


def _resume(args) -> int:
    from .simulation import resume

    out, backend = resume(args.result, args.set, progress=not args.quiet, note=_note)
    if out is not None:
        print(_summary(out, backend, "the backend the run started on", Path(args.result)))
    return 0


def _sweep(args) -> int:
    from . import batch

    sweep = batch.load(args.sweep, args.folder, args.set)
    for text in sweep.notes:
        _note(text)
    if args.status:
        tally = batch.counts(sweep)
        print(", ".join(f"{n} {status}" for status, n in tally.items()))
        for i in range(len(sweep.configs)):
            failure = sweep.failure(i)
            if failure:
                print(f"failed: {sweep.path(i)}: {failure}")
        return 0
    if args.task is not None:
        if not 0 <= args.task < len(sweep.configs):
            raise ConfigError("task", f"must lie in 0 … {len(sweep.configs) - 1}")
        status = batch.run_point(sweep, args.task)
        print(f"point {args.task}: {status} ({sweep.path(args.task)})")
        return 0 if status == "complete" else 1
    if args.slurm:
        scripts, answers, status = batch.submit(sweep, args.time, args.mem,
                                                args.max_array_size, args.dry_run)
        print(f"{len(sweep.configs)} points; {len(scripts)} job array script"
              f"{'s' if len(scripts) > 1 else ''}: {', '.join(str(s) for s in scripts)}")
        sized = [line.split(maxsplit=1)[1] for line in scripts[0].read_text().splitlines()
                 if line.startswith(("#SBATCH --time", "#SBATCH --mem", "# --time"))]
        print("per point: " + ", ".join(sized))
        for answer in answers:
            print(answer)
        return status
    tally = batch.run_local(sweep, workers=args.jobs, progress=not args.quiet)
    print(", ".join(f"{n} {status}" for status, n in tally.items()) + f" ({sweep.folder})")
    return 0 if tally["failed"] == 0 else 1


def _collect(args) -> int:
    from . import batch

    table = batch.collect(batch.load(args.sweep, args.folder, args.set))
    keys = list(table.axes)
    print(" ".join(f"{k:>16s}" for k in keys) + f" {'Δσ_z plateau':>14s} {'t_final':>8s}")
    for position in np.ndindex(*table.values["delta_sigma_z"].shape):
        labels = [table.axes[k][i] for k, i in zip(keys, position, strict=True)]
        shown = " ".join(f"{v:>16.6g}" if isinstance(v, float) else f"{v!s:>16s}" for v in labels)
        print(f"{shown} {table.values['delta_sigma_z'][position]:14.6f} "
              f"{table.values['t_final'][position]:8g}")
    return 0


def _plot(args) -> int:
    import matplotlib

    matplotlib.use("Agg")  # files only: no display needed
    from .plot import figure_for

    for path in args.results:
        if not Path(path).exists():
            raise ConfigError("results", f"{path} does not exist")
    try:
        figure = figure_for(args.results, args.kind)
    except ValueError as err:
        raise ConfigError("--kind", str(err)) from None
    figure.savefig(args.output, dpi=150)
    print(args.output)
    return 0


def _compare(args) -> int:
    from .comparison import compare

    found = compare(args.a, args.b)
    for key, (in_a, in_b) in found.changed.items():
        _note(f"the runs differ in {key}: {in_a!r} against {in_b!r}")
    if len(found.times) < max(found.recorded):
        _note(f"comparing the {len(found.times)} output times the runs share "
              f"({found.times[0]:g} … {found.times[-1]:g} fs)")
    print(f"{'observable':28s} max |A − B|")
    for key, value in found.largest.items():
        print(f"{key:28s} {value:.3e}" if value is not None
              else f"{key:28s} (no shared time records it in both)")
    return 0


def _converge(args) -> int:
    from .convergence import converge

    found = converge(args.runs, args.exact, args.observable)
    n, exact = len(found.time), found.actual is not None
    scalar = found.values.shape[2] == 1
    print(f"{found.name}, {len(found.runs)} runs, 0–{found.time[-1]:g} fs; the largest over the "
          "output times" + ("" if scalar else " and the components") + ":")
    print("| run | chi_max | wall s | ε at the end | value at the end | chi step | step ratio "
          "| ε line |" + (" against exact |" if exact else ""))
    print("|---|---|---|---|---|---|---|---|" + ("---|" if exact else ""))
    largest = np.array([np.nan] + [np.nanmax(step) for step in found.steps[1:]])
    for i, (r, path) in enumerate(zip(found.runs, found.paths, strict=True)):
        ratio = f"{largest[i] / largest[i - 1]:.2f}" if i > 1 else ""
        wall = r["elapsed_wall_time"][n - 1] if "elapsed_wall_time" in r else np.nan
        row = (f"| {Path(path).name} | {r.config.evolution.chi_max} | {wall:.0f} | "
               f"{found.weights[i, -1, 0]:.1e} | "
               f"{f'{found.values[i, -1, 0]:.5f}' if scalar else ''} | "
               f"{'' if i == 0 else f'{largest[i]:.1e}'} | {ratio} | "
               f"{np.nanmax(found.on_line[i]):.1e} |")
        print(row + (f" {np.nanmax(found.actual[i]):.1e} |" if exact else ""))
    end = f"{found.extrapolated[-1, 0]:.5f}" if scalar else ""
    row = f"| extrapolated to ε = 0 | | | | {end} | | | {np.nanmax(found.uncertainty):.1e} |"
    if exact:
        row += f" {np.nanmax(np.abs(found.extrapolated - found.reference)):.1e} |"
    print(row)
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")  # files only: no display needed
        from .plot import convergence

        convergence(found).savefig(args.plot, dpi=150)
        print(args.plot)
    return 0


def _config(args) -> int:
    from .config import reference_markdown

    if args.reference:
        print(reference_markdown())
        return 0
    partial = load_toml(args.config) if args.config else {}
    config = resolve(apply_overrides(partial, args.set)).as_dict()
    for section, table in config.items():
        print(f"[{section}]")
        for key, value in table.items():
            if value is not None:
                text = f'"{value}"' if isinstance(value, str) else str(value).lower() if isinstance(
                    value, bool) else repr(value)
                print(f"{key} = {text}")
        print()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``qst-mps``; returns the exit status: 0 success, 1 a sweep with failed
    points, 2 bad input, 3 a run whose numbers went bad, 75 stopped by a signal."""
    with raising():  # a signal before the run has a state stops it at once: nothing written
        try:
            args = _parser().parse_args(argv)
            commands = {"run": _run, "resume": _resume, "sweep": _sweep, "collect": _collect,
                        "converge": _converge,
                        "plot": _plot, "compare": _compare, "config": _config}
            return commands[args.command](args)
        except BadInput as err:
            print(f"qst-mps: error: {err}", file=sys.stderr)
            return err.exit_status
        except Interrupted as err:
            print(f"qst-mps: {err}; checkpoint written, continue with 'qst-mps resume'",
                  file=sys.stderr)
            return err.exit_status
        except NumericalFailure as err:
            print(f"qst-mps: error: the run's numbers went bad: {err}", file=sys.stderr)
            return err.exit_status
        except Stop as err:
            print(f"qst-mps: {err} during set-up, before the run had a state: nothing was "
                  "written", file=sys.stderr)
            return INTERRUPTED
