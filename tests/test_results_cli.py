"""Result files and the command line: layout, atomic writes, no overwrite, resume, compare."""

import json

import h5py
import numpy as np
import pytest
from conftest import assert_same_run

import qst_mps
from qst_mps.cli import main
from qst_mps.simulation import simulate

SMALL = ["--set", "model.N=24", "--set", "model.L=2", "--set", "model.J_sd=1.0",
         "--set", "state.sigma_d=1.2", "--set", "state.d=4.0", "--set", "evolution.t_max=8.0",
         "-q"]


def test_run_writes_a_complete_file(tmp_path, capsys):
    path = tmp_path / "run.h5"
    assert main(["run", *SMALL, "-o", str(path)]) == 0
    printed = capsys.readouterr().out
    assert "final Δσ_z" in printed and "S_z_total drift" in printed and "wall time" in printed
    r = qst_mps.load(path)
    T = len(r["time"])
    assert T == 17 and r["time"][-1] == 8.0
    shapes = {"sigma_z_el": (T,), "delta_sigma_z": (T,), "S_z_loc": (T, 2), "S_z_total": (T,),
              "pair_spin_probabilities": (T, 4), "density": (T, 24), "norm": (T,),
              "energy": (T,)}
    for name, shape in shapes.items():
        assert r[name].shape == shape, name
    assert r.status == "complete" and r.backend == "exact"
    assert r.config.model.spin_sites == (12, 13) and r.config.output.path == str(path)
    with h5py.File(path) as f:
        assert set(f.attrs) >= {"config", "backend", "qst_mps_version", "status"}
        assert json.loads(f.attrs["config"])["state"]["x2"] == 12 - 4 * 1.2
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_existing_file_needs_force(tmp_path, capsys):
    path = tmp_path / "run.h5"
    path.write_bytes(b"precious")
    assert main(["run", *SMALL, "-o", str(path)]) == 2
    assert "--force" in capsys.readouterr().err and path.read_bytes() == b"precious"
    assert main(["run", *SMALL, "-o", str(path), "--force"]) == 0
    assert qst_mps.load(path).status == "complete"


def test_resume_extends_a_finished_run_exactly(tmp_path):
    short, direct = tmp_path / "short.h5", tmp_path / "direct.h5"
    assert main(["run", *SMALL, "-o", str(short)]) == 0
    assert main(["resume", str(short), "--set", "evolution.t_max=14.0", "-q"]) == 0
    assert main(["run", *SMALL, "--set", "evolution.t_max=14.0", "-o", str(direct)]) == 0
    a, b = qst_mps.load(short), qst_mps.load(direct)
    assert a.status == "complete" and a["time"][-1] == 14.0
    assert_same_run(a, b, 1e-12)


def test_resume_refuses_model_changes(tmp_path, capsys):
    path = tmp_path / "run.h5"
    assert main(["run", *SMALL, "-o", str(path)]) == 0
    assert main(["resume", str(path), "--set", "model.J_sd=0.1"]) == 2
    assert "model.J_sd" in capsys.readouterr().err


def test_checkpoints_are_written_while_running(tmp_path, small_config):
    config = small_config(output={"checkpoint_every": 2.0, "path": str(tmp_path / "c.h5")})
    seen = []
    import qst_mps.results as results

    original = results.write

    def spy(path, data, config, backend, status, **kw):
        seen.append((status, float(data["time"][-1])))
        original(path, data, config, backend, status, **kw)

    results.write = spy
    try:
        simulate(config, tmp_path / "c.h5")
    finally:
        results.write = original
    assert [s for s, _ in seen[1:-1]] == ["running"] * (len(seen) - 2)
    assert [t for _, t in seen] == [0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0]
    assert seen[-1][0] == "complete"
    saved = qst_mps.load(tmp_path / "c.h5", checkpoint=True)
    assert saved["checkpoint"]["backend"]["psi"].shape == (24 * 24 + 2 * 24 * 23 // 2,)


def test_compare(tmp_path, capsys):
    a, b = tmp_path / "a.h5", tmp_path / "b.h5"
    assert main(["run", *SMALL, "-o", str(a)]) == 0
    assert main(["run", *SMALL, "--set", "model.J_sd=1.1", "-o", str(b)]) == 0
    capsys.readouterr()
    assert main(["compare", str(a), str(b)]) == 0
    lines = dict(line.split() for line in capsys.readouterr().out.splitlines()[1:])
    assert float(lines["delta_sigma_z"]) > 1e-4 and float(lines["norm"]) < 1e-12


def test_config_command_prints_a_valid_resolved_file(tmp_path, capsys):
    assert main(["config", "--set", "model.L=3"]) == 0
    text = capsys.readouterr().out
    (tmp_path / "c.toml").write_text(text)
    from qst_mps.config import load_toml, resolve

    assert resolve(load_toml(tmp_path / "c.toml")).model.spin_sites == (100, 101, 102)
    assert main(["config", "--reference"]) == 0
    assert "| `J_sd` | `0.3` |" in capsys.readouterr().out


@pytest.mark.parametrize("preset", ["models/paper.toml"])
def test_paper_preset_is_the_builtin_default(preset):
    from pathlib import Path

    from qst_mps.config import load_toml, resolve

    config = resolve(load_toml(Path(__file__).parent.parent / preset))
    default = resolve()
    config = config.updated(output={"path": default["output"]["path"]})
    assert config == default


@pytest.mark.parametrize("kind", ["transfer", "pairs", "density"])
def test_plot_command_writes_a_figure(tmp_path, kind):
    a, b = tmp_path / "a.h5", tmp_path / "b.h5"
    assert main(["run", *SMALL, "-o", str(a)]) == 0
    assert main(["run", *SMALL, "--set", "state.pair=triplet_0", "-o", str(b)]) == 0
    figure = tmp_path / f"{kind}.png"
    assert main(["plot", str(a), str(b), "--kind", kind, "-o", str(figure)]) == 0
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and figure.stat().st_size > 10_000


def test_usage_page_has_the_current_configuration_reference():
    """docs/usage.md embeds the generated reference; regenerate it with qst-mps config
    --reference when a key changes."""
    from pathlib import Path

    from qst_mps.config import reference_markdown

    page = (Path(__file__).parent.parent / "docs" / "usage.md").read_text()
    assert reference_markdown() in page


def test_auto_takes_exact_when_the_sector_fits_and_mps_otherwise(monkeypatch, small_config):
    import qst_mps.simulation as simulation

    config = small_config()
    assert config["evolution"]["backend"] == "auto"
    name, reason = simulation.choose_backend(config)
    assert name == "exact" and "fits" in reason
    monkeypatch.setattr(simulation, "physical_memory", lambda: 2**20)  # a 1 MiB machine
    name, reason = simulation.choose_backend(config)
    assert name == "mps" and "would need" in reason


def test_resume_continues_on_the_backend_auto_chose_at_the_start(tmp_path, monkeypatch):
    import qst_mps.simulation as simulation

    short, direct = tmp_path / "short.h5", tmp_path / "direct.h5"
    assert main(["run", *SMALL, "-o", str(short)]) == 0
    assert qst_mps.load(short).backend == "exact"
    # resumed on a machine where the exact sector still fits, but not comfortably: auto
    # would now take mps, whose state the exact checkpoint is not
    monkeypatch.setattr(simulation, "physical_memory", lambda: 100 * 2**20)
    assert simulation.choose_backend(qst_mps.load(short).config)[0] == "mps"
    assert main(["resume", str(short), "--set", "evolution.t_max=14.0", "-q"]) == 0
    monkeypatch.undo()
    assert main(["run", *SMALL, "--set", "evolution.t_max=14.0", "-o", str(direct)]) == 0
    a, b = qst_mps.load(short), qst_mps.load(direct)
    assert a.backend == "exact" and a["time"][-1] == 14.0
    assert_same_run(a, b, 1e-12)


@pytest.mark.parametrize("pair", ["singlet", "single_down"])
def test_a_file_from_before_sigma_el_existed_resumes(tmp_path, pair):
    """Result files written before the observable registry have σ_z, S_z_loc and the pair
    probabilities but not σ_el, S_loc, ⟨S_el²⟩ or P(N↑ = n): a resume fills those in from what
    the file has, and then matches an uninterrupted run."""
    legacy, direct = tmp_path / "legacy.h5", tmp_path / "direct.h5"
    args = [*SMALL, "--set", f"state.pair={pair}"]
    assert main(["run", *args, "-o", str(legacy)]) == 0
    with h5py.File(legacy, "r+") as f:
        for name in ("sigma_el", "S_loc", "electron_spin_squared", "electron_up_probabilities"):
            del f[name]
    assert main(["resume", str(legacy), "--set", "evolution.t_max=14.0", "-q"]) == 0
    assert main(["run", *args, "--set", "evolution.t_max=14.0", "-o", str(direct)]) == 0
    a, b = qst_mps.load(legacy), qst_mps.load(direct)
    assert set(a) == set(b)
    assert_same_run(a, b, 1e-12)


@pytest.mark.parametrize("kind", ["spacetime", "moments", "entanglement"])
def test_the_plots_of_the_optional_observables(tmp_path, kind):
    """Space-time maps, the local moments and the entanglement against time: each panel has
    its axis labels, and the figure a caption."""
    import matplotlib

    matplotlib.use("Agg")
    from qst_mps.plot import figure_for

    path = tmp_path / "run.h5"
    observables = '["spin_density","magnet_entropy","local_concurrence"]'
    assert main(["run", *SMALL, "--set", f"output.observables={observables}",
                 "-o", str(path)]) == 0
    figure = figure_for([path], kind)
    shown = [ax for ax in figure.axes if ax.get_visible() and ax.axison and ax.get_xlabel()]
    assert len(shown) >= 2
    assert all(ax.get_xlabel() == "time (fs)" and ax.get_ylabel() for ax in shown)
    assert any(text.get_text().strip() for text in figure.texts)  # the caption


def test_importing_the_package_is_cheap_and_its_modules_are_attributes():
    """`import qst_mps` pulls in neither TeNPy nor h5py nor matplotlib and sets no environment
    variable; its submodules are still reachable as attributes (qst_mps.results.status)."""
    import subprocess
    import sys

    code = ("import os, sys; before = dict(os.environ); import qst_mps; "
            "heavy = [m for m in ('tenpy', 'h5py', 'matplotlib') if m in sys.modules]; "
            "assert not heavy, heavy; assert dict(os.environ) == before; "
            "assert callable(qst_mps.results.status); print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr


def test_the_python_api_example_of_the_usage_page_runs(tmp_path, monkeypatch):
    """The last python block of docs/usage.md, executed as written, in a scratch folder; then
    qst_mps.run against the command line on the same configuration."""
    import re
    from pathlib import Path

    page = (Path(__file__).parents[1] / "docs" / "usage.md").read_text()
    example = re.findall(r"```python\n(.*?)```", page, re.S)[-1]
    assert "qst_mps.run(" in example
    monkeypatch.chdir(tmp_path)
    exec(compile(example, "docs/usage.md", "exec"), {})
    assert (tmp_path / "singlet.h5").exists() and (tmp_path / "triplet_0.h5").exists()
    api = qst_mps.load(tmp_path / "singlet.h5")
    assert main(["run", "--set", "model.N=40", "--set", "model.L=2", "--set", "model.n_first=30",
                 "--set", "state.sigma_d=2.0", "--set", "state.x2=20.0", "--set", "state.d=8.0",
                 "--set", "evolution.t_max=6.0", "-q", "-o", str(tmp_path / "cli.h5")]) == 0
    assert_same_run(api, qst_mps.load(tmp_path / "cli.h5"), 1e-12)
    with pytest.raises(qst_mps.config.ConfigError) as err:
        qst_mps.run({"model": {"L": 0}}, tmp_path / "bad.h5")
    assert err.value.key == "model.L"
    with pytest.raises(qst_mps.config.ConfigError, match="exists"):  # no silent overwrite
        qst_mps.run(None, tmp_path / "singlet.h5")


def test_result_files_describe_themselves_to_netcdf_readers(tmp_path):
    """Units and long names on every dataset, and HDF5 dimension scales: xarray (h5netcdf)
    sees labelled axes; Results.to_xarray() gives the same arrays with the same labels."""
    import numpy as np
    import xarray

    path = tmp_path / "run.h5"
    assert main(["run", "--set", "model.N=30", "--set", "model.L=3", "--set", "model.n_first=20",
                 "--set", "state.sigma_d=1.5", "--set", "state.d=4", "--set", "state.x2=14",
                 "--set", "evolution.t_max=1", "--set",
                 'output.observables=["local_mutual_information", "current"]',
                 "-q", "-o", str(path)]) == 0
    with xarray.open_dataset(path, engine="h5netcdf", phony_dims="access") as ds:
        assert ds["S_loc"].dims == ("time", "local_spin", "component")
        assert ds["density"].dims == ("time", "site") and ds.sizes["site"] == 30
        assert ds["current"].dims == ("time", "bond") and ds.sizes["bond"] == 29
        assert ds["local_mutual_information"].dims == ("time", "local_spin", "local_spin_k")
        assert ds["energy"].attrs["units"] == "eV" and ds["time"].attrs["units"] == "fs"
        assert "spin transfer" in ds["delta_sigma_z"].attrs["long_name"]
        from_file = ds["S_loc"].values
    result = qst_mps.load(path)
    assert "site" not in result and "component" not in result  # coordinates are not observables
    labelled = result.to_xarray()
    assert np.array_equal(labelled["S_loc"].values, from_file)
    assert list(labelled["component"].values) == ["x", "y", "z"]
    assert np.array_equal(labelled["S_loc"].sel(component="z").values,
                          labelled["S_z_loc"].values)
    assert labelled["S_z_loc"].dims == ("time", "local_spin")


def test_compare_takes_the_shared_times_and_names_what_differs(tmp_path, capsys):
    """A partial run against a longer one: the shared output times are compared, and the keys
    in which the configurations differ are named (the run with t_max = 2 is the first half of
    the one with t_max = 4, so on the shared times every observable agrees to 1e-12)."""
    short, long = tmp_path / "short.h5", tmp_path / "long.h5"
    assert main(["run", *SMALL, "--set", "evolution.t_max=2.0", "-o", str(short)]) == 0
    assert main(["run", *SMALL, "--set", "evolution.t_max=4.0", "-o", str(long)]) == 0
    capsys.readouterr()
    assert main(["compare", str(short), str(long)]) == 0
    captured = capsys.readouterr()
    assert "evolution.t_max" in captured.err and "output times the runs share" in captured.err
    lines = dict(line.split() for line in captured.out.splitlines()[1:])
    assert max(float(v) for v in lines.values()) < 1e-12


def test_an_exact_run_says_its_memory_estimate_before_it_starts(tmp_path, capsys, monkeypatch):
    """From 1 GiB up the estimate is a note at the start (here the estimate is replaced by
    2 GiB, so that a small run takes the path of a large one)."""
    import qst_mps.exact.backend as exact

    monkeypatch.setattr(exact, "memory_estimate", lambda problem: (123_456, 2 * 2**30))
    assert main(["run", *SMALL, "--set", "evolution.t_max=0.5", "--set",
                 "evolution.backend=exact", "-o", str(tmp_path / "run.h5")]) == 0
    captured = capsys.readouterr()
    assert "note: the exact state has dimension 123,456 and needs ~2.0 GiB" in captured.err
    assert "123,456 needs ~2 GiB" in captured.out  # and in the summary


def test_plots_of_several_runs_name_what_differs(tmp_path):
    """Three θ files gave three identical "θ state" lines; the labels now carry the keys that
    differ (checked on the matplotlib objects, not only that a figure is written)."""
    from qst_mps.plot import figure_for

    paths = []
    for theta in (0.0, 0.7):
        paths.append(tmp_path / f"theta{theta}.h5")
        assert main(["run", *SMALL, "--set", "evolution.t_max=0.5", "--set", "state.pair=theta",
                     "--set", f"state.theta={theta}", "-o", str(paths[-1])]) == 0
    paths.append(tmp_path / "same.h5")
    assert main(["run", *SMALL, "--set", "evolution.t_max=0.5", "--set", "state.pair=theta",
                 "-o", str(paths[-1])]) == 0
    figure = figure_for(paths[:2], "transfer")
    labels = [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
    assert labels == ["theta, theta = 0", "theta, theta = 0.7"]
    titles = [ax.get_title() for ax in figure_for(paths[:2], "pairs").axes]
    assert titles == labels
    drifts = figure_for(paths[:1], "diagnostics").axes[0]  # exact: the conserved quantities
    assert [t.get_text() for t in drifts.get_legend().get_texts()] == [
        "|norm − 1|", "|E − E(0)| (eV)", "|S_z − S_z(0)| (ħ)"]
    same = figure_for([paths[0], paths[2]], "transfer")  # nothing differs: the file names
    labels = [t.get_text() for t in same.axes[0].get_legend().get_texts()]
    assert labels == ["theta (theta0.0.h5)", "theta (same.h5)"]


def test_a_configuration_stored_by_an_earlier_version_builds_with_todays_defaults(tmp_path):
    """A result file whose config is from before state.electrons and state.repeat existed (the
    keys are taken out of a file written here) loads with today's defaults for them, and builds
    the same problem as today's full configuration."""
    import json

    import h5py
    import numpy as np

    import qst_mps
    from qst_mps.config import resolve
    from qst_mps.problem import build
    from qst_mps.simulation import simulate

    config = resolve({"evolution": {"t_max": 0.5}})
    path = tmp_path / "old.h5"
    simulate(config, path)
    old = json.loads(h5py.File(path, "r").attrs["config"])
    for key in ("electrons", "repeat", "spacing", "box", "n_up", "n_down", "box_depth"):
        del old["state"][key]
    with h5py.File(path, "r+") as f:
        f.attrs["config"] = json.dumps(old)
    loaded = qst_mps.load(path).config
    assert loaded["state"]["repeat"] == 1 and loaded["state"]["electrons"] == "packets"
    then, now = build(loaded), build(config)
    assert then.n_electrons == now.n_electrons == 2
    assert np.array_equal(np.array(then.electrons.packets), np.array(now.electrons.packets))


def test_an_exact_run_from_the_command_line_never_loads_tenpy(tmp_path):
    """`qst-mps run` on the exact backend, checkpoint included, in a fresh process: TeNPy is not
    imported (its import was most of a small run's start-up)."""
    import subprocess
    import sys

    code = ("import sys; from qst_mps.entry import main; "
            f"status = main(['run', '-o', {str(tmp_path / 'r.h5')!r}, *{SMALL!r}, "
            "'--set', 'evolution.backend=exact']); "
            "print('loaded', [m for m in sys.modules if m.split('.')[0] == 'tenpy'])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip().splitlines()[-1] == "loaded []", out.stdout + out.stderr
    assert qst_mps.load(tmp_path / "r.h5").status == "complete"


@pytest.mark.parametrize("writer", ["qst_mps", "tenpy"])
def test_checkpoints_of_arrays_are_tenpy_hdf5_io_files_both_ways(tmp_path, writer):
    """A checkpoint of arrays and numbers is written and read without TeNPy, in TeNPy's
    hdf5_io format: what one side writes the other reads back equal, with the same types
    (reference: tenpy.tools.hdf5_io itself)."""
    from tenpy.tools import hdf5_io

    from qst_mps import results

    checkpoint = {"backend": {"psi": np.arange(6) * (1 + 2j), "time": 2.5, "steps": 7,
                              "flag": True, "nested": {"x": np.float64(0.25),
                                                       "n": np.int64(3)}}}
    with h5py.File(tmp_path / "c.h5", "w") as f:
        if writer == "tenpy":
            hdf5_io.save_to_hdf5(f, checkpoint, "checkpoint")
        else:
            assert results._is_plain(checkpoint)
            results._save_plain(f, "checkpoint", checkpoint)
    with h5py.File(tmp_path / "c.h5", "r") as f:
        read = (results._load_plain(f["checkpoint"]) if writer == "tenpy"
                else hdf5_io.load_from_hdf5(f, "checkpoint"))

    def same(a, b):
        if isinstance(a, dict):
            return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
        return type(a) is type(b) and np.array_equal(a, b)

    assert same(read, checkpoint)


def test_the_time_left_follows_a_cost_that_grows_with_time():
    """A run whose cost per fs grows linearly (an mps run's window, docs/notes/scaling.md): halfway,
    the forecast equals the analytic ∫_t^T (a + b s) ds, where the average pace would promise a
    third of it; with ``grows=False`` (the exact backend's batches) it is the recent pace."""
    from qst_mps.forecast import Forecast

    a, b, T = 0.2, 0.05, 100.0  # s per fs, s per fs², fs

    def wall(t):
        return 3.0 + a * t + b * t * t / 2

    forecast = Forecast(T)
    assert forecast.remaining() is None
    for t in np.arange(0.5, 50.01, 0.5):
        forecast.add(t, wall(t))
    exact = wall(T) - wall(50.0)
    assert forecast.remaining() == pytest.approx(exact, rel=1e-6)
    average_pace = (wall(50.0) - wall(0.5)) / 49.5 * 50.0
    assert average_pace < 0.5 * exact
    flat = Forecast(T, grows=False)
    for t in np.arange(0.5, 50.01, 0.5):
        flat.add(t, 2.0 * t)
    assert flat.remaining() == pytest.approx(100.0)


def test_the_progress_bar_counts_fs_and_says_the_time_left(capsys):
    """The bar a run shows counts simulated fs and, from the fourth output on, gives the time
    left from qst_mps/forecast.py."""
    from conftest import small

    simulate(small(evolution={"t_max": 4.0, "dt_out": 0.5}), progress=True)
    shown = capsys.readouterr().err
    assert "/4 fs simulated" in shown
    assert "time left ?" in shown and "time left ~" in shown


def test_the_python_api_resumes_compares_sweeps_and_collects_as_the_command_does(tmp_path):
    """qst_mps.resume, compare, sweep and collect: a run stopped at 1 fs and resumed to 2 fs
    equals a direct run to 2 fs (compare: every observable within 1e-12, the differing key
    named); a two-point sweep run through the API collects the same table as `qst-mps
    collect` prints."""
    from conftest import SWEEP_BASE

    import qst_mps

    short, direct = tmp_path / "short.h5", tmp_path / "direct.h5"
    qst_mps.run(None, short, overrides=[*SMALL[1::2], "evolution.t_max=1.0"], progress=False)
    resumed = qst_mps.resume(short, ["evolution.t_max=2.0"], progress=False)
    assert resumed.status == "complete" and resumed["time"][-1] == 2.0
    qst_mps.run(None, direct, overrides=[*SMALL[1::2], "evolution.t_max=2.0"], progress=False)
    found = qst_mps.compare(short, direct)
    # the resumed file records the backend "auto" chose when it started
    assert found.changed == {"evolution.backend": ("exact", "auto")}
    assert len(found.times) == 5 and found.recorded == (5, 5)
    assert found.largest and max(v for v in found.largest.values() if v is not None) < 1e-12
    other = qst_mps.compare(short, qst_mps.run(None, tmp_path / "other.h5", progress=False,
                                               overrides=[*SMALL[1::2], "evolution.t_max=2.0",
                                                          "state.pair=triplet_0"]))
    assert other.changed == {"evolution.backend": ("exact", "auto"),
                             "state.pair": ("singlet", "triplet_0")}
    with pytest.raises(qst_mps.errors.BadInput, match="cannot change on resume"):
        qst_mps.resume(short, ["model.N=30"])

    sweep_file = tmp_path / "s.toml"
    sweep_file.write_text(SWEEP_BASE + 't_max = 1.0\n[sweep]\n"state.pair" = ["singlet", '
                          '"triplet_0"]\n')
    assert qst_mps.sweep(sweep_file, progress=False) == {
        "complete": 2, "running": 0, "failed": 0, "pending": 0}
    table = qst_mps.collect(sweep_file)
    assert table.axes == {"state.pair": ["singlet", "triplet_0"]}
    assert np.all(np.isfinite(table.values["delta_sigma_z"]))
    assert np.array_equal(table.values["delta_sigma_z"],
                          qst_mps.load_sweep(sweep_file).values["delta_sigma_z"])


def test_converge_estimates_the_errors_of_runs_at_several_chi_max(tmp_path, capsys):
    """`qst-mps converge`: three truncated mps runs of one problem (chi_max 2, 3, 4) and an
    exact one. The chi steps are the differences of the runs' values, computed here from the
    files; the table names every run and the actual errors; the plot is written; runs of two
    problems, or two at one chi_max, are refused with exit 2."""
    import qst_mps
    from qst_mps.convergence import converge

    base = ["model.N=14", "model.L=3", "model.J_sd=1.0", "model.boundary=open",
            "state.pair=triplet_minus", "state.sigma_d=1.2", "state.x2=3.4", "state.d=2.5",
            "evolution.t_max=1.0", "evolution.dt=0.25", "evolution.svd_min=1e-12"]
    paths = []
    for chi in (4, 2, 3):  # any order: sorted by chi_max
        paths.append(tmp_path / f"chi{chi}.h5")
        qst_mps.run(None, paths[-1], overrides=[*base, "evolution.backend=mps",
                                                f"evolution.chi_max={chi}"], progress=False)
    exact = tmp_path / "exact.h5"
    qst_mps.run(None, exact, overrides=[*base, "evolution.backend=exact"], progress=False)
    found = converge([str(p) for p in paths], str(exact))
    values = [qst_mps.load(tmp_path / f"chi{chi}.h5")["delta_sigma_z"] for chi in (2, 3, 4)]
    assert [r.config.evolution.chi_max for r in found.runs] == [2, 3, 4]
    assert found.runs[0]["truncation_error"][-1] > 0  # chi_max 2 truncates
    assert np.all(np.isnan(found.steps[0]))
    assert np.allclose(found.steps[1], np.abs(values[1] - values[0]))
    assert np.allclose(found.steps[2], np.abs(values[2] - values[1]))
    reference = qst_mps.load(exact)["delta_sigma_z"]
    assert np.allclose(found.actual[0], np.abs(values[0] - reference))
    figure = tmp_path / "converge.png"
    args = ["converge", *map(str, paths), "--exact", str(exact), "--plot", str(figure)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert all(f"| chi{chi}.h5 | {chi} |" in out for chi in (2, 3, 4)) and "against exact" in out
    assert figure.read_bytes()[:4] == b"\x89PNG"
    other = tmp_path / "other.h5"
    qst_mps.run(None, other, overrides=[*base, "evolution.backend=mps", "evolution.chi_max=5",
                                        "model.J_sd=0.5"], progress=False)
    assert main(["converge", str(paths[0]), str(other)]) == 2
    assert "not the same problem" in capsys.readouterr().err
    assert main(["converge", str(paths[0]), str(paths[0])]) == 2
    assert "same chi_max" in capsys.readouterr().err
