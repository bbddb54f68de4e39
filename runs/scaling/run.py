"""Run the scaling family on both backends and report cost and physics against L.

    python runs/scaling/run.py --L 4 8 16 --pair singlet triplet_minus --backend exact mps
    python runs/scaling/run.py --report          # table (markdown) and runs/scaling/out/*.png

Every run is its own `qst-mps run runs/scaling/L<L>.toml` in a subprocess, so that its peak
memory (max RSS, the largest over resumed parts) is its own; it is stored with the wall time
(the file's ``elapsed_wall_time``, summed over resumed parts) beside the result file
(``<name>.cost.json``). Results go to runs/scaling/out/<backend>/<pair>_L<L>.h5; complete runs
are skipped, interrupted ones resumed. A run the exact backend refuses (sector too large) is
recorded as refused, with the reason. The progress bar of the run under way is shown as it runs.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
from family import LENGTHS  # the family's lengths, defined once (this directory is on the path)

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"


def result_path(backend: str, pair: str, L: int) -> Path:
    return OUT / backend / f"{pair}_L{L:03d}.h5"


def one(argv: list[str]) -> int:
    """Run the command line in this process; print wall time and peak memory as JSON."""
    from qst_mps.cli import main

    start = time.perf_counter()
    status = main(argv)
    print(json.dumps({"status": status, "wall_s": time.perf_counter() - start,
                      "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
    return 0


def run_showing_progress(command: list[str]) -> tuple[int, str, str]:
    """Run ``command``; pass its stderr (the progress bar, warnings) through to ours as it comes,
    and return its exit status, its stdout and the last 4 kB of its stderr."""
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    tail = bytearray()

    def tee() -> None:
        while chunk := child.stderr.read1(4096):
            sys.stderr.buffer.write(chunk)
            sys.stderr.flush()
            tail.extend(chunk)
            del tail[:-4096]

    reader = threading.Thread(target=tee, daemon=True)
    reader.start()
    stdout = child.stdout.read()
    returncode = child.wait()
    reader.join()
    return returncode, stdout.decode(), tail.decode(errors="replace")


def run(backend: str, pair: str, L: int) -> str:
    from qst_mps import results

    path = result_path(backend, pair, L)
    cost = path.with_suffix(".cost.json")
    if path.exists() and results.status(path) == "complete":
        return "complete"
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        argv = ["resume", str(path)]
    else:
        argv = ["run", str(HERE / f"L{L:03d}.toml"), "--set", f"state.pair={pair}",
                "--set", f"evolution.backend={backend}", "-o", str(path)]
    command = [sys.executable, __file__, "--one", *argv]
    returncode, stdout, stderr = run_showing_progress(command)
    lines = stdout.strip().splitlines()
    reason = stderr.replace("\r", "\n").strip().splitlines()[-1:]
    if returncode != 0 or not lines:  # crashed before reporting
        cost.write_text(json.dumps({"failed": reason}))
        return "failed"
    measured = json.loads(lines[-1])
    if measured["status"] == 2:  # refused before any work, e.g. an exact sector too large
        cost.write_text(json.dumps({"refused": reason}))
        return "refused"
    previous = json.loads(cost.read_text()) if cost.exists() else {}
    measured["max_rss_mib"] = max(measured["max_rss_mib"], previous.get("max_rss_mib", 0.0))
    elapsed = results.load(path).get("elapsed_wall_time") if path.exists() else None
    if elapsed is not None and len(elapsed):  # the file's own clock, summed over resumed parts
        # by the simulation: it survives a parent that died before writing this file, and
        # leaves out work redone after an interruption
        measured["wall_s"] = float(elapsed[-1])
    elif "wall_s" in previous:  # no output recorded yet: add the earlier parts' own timing
        measured["wall_s"] += previous["wall_s"]
    cost.write_text(json.dumps(measured))
    return "complete" if measured["status"] == 0 else f"exit {measured['status']}"


def table() -> list[dict]:
    """One row per (pair, L) with both backends' cost, plateau and the mps error."""
    import qst_mps

    rows = []
    for pair in ("singlet", "triplet_minus"):
        for L in LENGTHS:
            row = {"pair": pair, "L": L}
            curves = {}
            for backend in ("exact", "mps"):
                path = result_path(backend, pair, L)
                cost = path.with_suffix(".cost.json")
                if cost.exists():
                    row[backend] = json.loads(cost.read_text())
                if path.exists() and qst_mps.results.status(path) != "complete":
                    part = qst_mps.load(path)  # interrupted, to be resumed: say how far it got
                    row[f"{backend}_reached"] = (f"{part['time'][-1]:g} of "
                                                 f"{part.attrs['t_final']:g} fs")
                    row.setdefault("N", part.config["model"]["N"])
                    row.setdefault(backend, {})["wall_s"] = float(part["elapsed_wall_time"][-1])
                elif path.exists():
                    curves[backend] = qst_mps.load(path)
                    row[f"{backend}_plateau"] = float(curves[backend]["delta_sigma_z"][-1])
                    row["N"] = curves[backend].config["model"]["N"]
                    if backend == "mps":
                        row["chi"] = int(np.max(curves[backend]["chi_max_bond"]))
                        row["truncation"] = float(curves[backend]["truncation_error"][-1])
            if len(curves) == 2:
                row["error"] = float(np.max(np.abs(curves["mps"]["delta_sigma_z"]
                                                   - curves["exact"]["delta_sigma_z"])))
            if len(row) > 2:
                rows.append(row)
    return rows


def report() -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = table()
    print("| pair | L | N | exact s | exact MiB | mps s | mps MiB | max chi | truncation "
          "| plateau Δσ_z | max \\|ΔΔσ_z\\| |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")

    def cost(row, backend, key):
        entry = row.get(backend, {})
        for outcome in ("refused", "failed"):
            if outcome in entry:
                return outcome
        value = f"{entry[key]:.0f}" if key in entry else "—"
        if f"{backend}_reached" in row and key == "wall_s":
            value += f" (to {row[f'{backend}_reached']})"
        return value

    for row in rows:
        plateau = row.get("exact_plateau", row.get("mps_plateau"))
        print(f"| {row['pair']} | {row['L']} | {row.get('N', '—')} | "
              f"{cost(row, 'exact', 'wall_s')} | {cost(row, 'exact', 'max_rss_mib')} | "
              f"{cost(row, 'mps', 'wall_s')} | {cost(row, 'mps', 'max_rss_mib')} | "
              f"{row.get('chi', '—')} | "
              + (f"{row['truncation']:.1e}" if "truncation" in row else "—") + " | "
              + (f"{plateau:.4f}" if plateau is not None else "—") + " | "
              + (f"{row['error']:.1e}" if "error" in row else "—") + " |")
    fig, (cost_ax, memory_ax, physics_ax) = plt.subplots(1, 3, figsize=(13, 3.8))
    for pair, colour in (("singlet", "tab:blue"), ("triplet_minus", "tab:red")):
        for backend, style in (("exact", "s-"), ("mps", "o--")):
            points = [(r["L"], r[backend]) for r in rows
                      if r["pair"] == pair and "wall_s" in r.get(backend, {})
                      and f"{backend}_reached" not in r]
            if points:
                L, entry = zip(*points, strict=True)
                cost_ax.plot(L, [e["wall_s"] for e in entry], style, color=colour,
                             label=f"{pair}, {backend}")
                memory_ax.plot(L, [e["max_rss_mib"] for e in entry], style, color=colour)
        plateau = [(r["L"], r.get("exact_plateau", r.get("mps_plateau"))) for r in rows
                   if r["pair"] == pair and ("exact_plateau" in r or "mps_plateau" in r)]
        if plateau:
            physics_ax.plot(*zip(*plateau, strict=True), "o-", color=colour, label=pair)
    for ax, label in ((cost_ax, "wall time (s)"), (memory_ax, "peak memory (MiB)"),
                      (physics_ax, r"plateau $\Delta\sigma_z$")):
        ax.set_xscale("log", base=2)
        ax.set_xlabel("local spins L")
        ax.set_ylabel(label)
    cost_ax.set_yscale("log")
    memory_ax.set_yscale("log")
    cost_ax.legend(frameon=False, fontsize=8)
    physics_ax.legend(frameon=False, fontsize=8)
    save_figure(fig, "scaling.png")
    return 0


def save_figure(fig, name: str) -> None:
    """Write ``fig`` to runs/scaling/out/``name`` and print where."""
    fig.tight_layout()
    OUT.mkdir(exist_ok=True)
    fig.savefig(OUT / name, dpi=150)
    print(OUT / name)


def main(argv=None) -> int:
    if argv is None and sys.argv[1:2] == ["--one"]:
        return one(sys.argv[2:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--L", type=int, nargs="+", default=LENGTHS)
    parser.add_argument("--pair", nargs="+", default=["singlet", "triplet_minus"])
    parser.add_argument("--backend", nargs="+", default=["exact", "mps"])
    parser.add_argument("--report", action="store_true")
    args = parser.parse_args(argv)
    if args.report:
        return report()
    for L in args.L:
        for pair in args.pair:
            for backend in args.backend:
                print(f"L = {L:3d} {pair:13s} {backend:5s}: {run(backend, pair, L)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
