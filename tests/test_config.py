"""Configuration: defaults, types, ranges, geometry, overrides, and the CLI's exit status 2."""

import subprocess
import sys

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from qst_mps.cli import main
from qst_mps.config import SCHEMA, ConfigError, apply_overrides, parse_override, resolve


def test_defaults_are_the_papers_model():
    spec = resolve()
    model, state = spec.model, spec.state
    assert (model.N, model.L, model.t_h, model.J_ex, model.J_sd) == (200, 4, 0.5, 0.2, 0.3)
    assert model.boundary == "periodic" and model.spin == 0.5
    assert model.spin_sites == (100, 101, 102, 103)
    assert (state.k_e, state.sigma_d, state.d) == (1.0, 5.0, 30.0)
    assert state.x2 == 100 - 4 * 5.0  # docs/physics.md: x2 = n_first − 4 σ_d
    assert spec.evolution.t_max == 100.0 and spec.evolution.dt_out == 0.5


def test_a_resolved_configuration_is_a_frozen_runspec_stored_as_lists():
    """resolve() gives typed, frozen sections (lists as tuples); a changed copy comes from
    ``updated``; the stored form (as_dict, the JSON of result files) has lists again and gives
    the same RunSpec back; the sections read as mappings too (stored configurations do)."""
    import dataclasses
    import json

    from qst_mps.spec import RunSpec

    spec = resolve({"model": {"B_loc": [0.1, 0.0, 0.2], "potential": [[1, 3, 0.5]]},
                    "state": {"pair": "theta", "repeat": 2, "theta": [0.5, 1.0]}})
    assert isinstance(spec, RunSpec) and spec.model.B_loc == (0.1, 0.0, 0.2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.model.N = 10
    stored = json.loads(json.dumps(spec.as_dict()))
    assert stored["model"]["potential"] == [[1, 3, 0.5]] and stored["state"]["theta"] == [0.5, 1.0]
    assert RunSpec.from_dict(stored) == spec and resolve(stored) == spec
    assert spec.model["N"] == spec.model.N and dict(spec.evolution)["dt"] == spec.evolution.dt
    changed = spec.updated(output={"path": "other.h5"})
    assert changed.output.path == "other.h5" and spec.output.path == "qst_mps_run.h5"
    assert changed.model is spec.model


def test_the_schema_is_the_runspec_fields():
    """Every key is declared once, as a field of its section class: the schema, the defaults
    and the fields are the same names in the same order."""
    from dataclasses import fields

    from qst_mps.spec import SECTIONS

    assert list(SCHEMA) == list(SECTIONS)
    for name, section in SECTIONS.items():
        assert list(SCHEMA[name]) == [f.name for f in fields(section)]
        default = section()
        for key, option in SCHEMA[name].items():
            assert getattr(default, key) == (tuple(option.default)
                                             if isinstance(option.default, list)
                                             else option.default), key


def test_resolved_configuration_resolves_to_itself():
    config = resolve({"model": {"L": 3}, "state": {"pair": "theta", "theta": 1.0}})
    assert resolve(config) == config


@pytest.mark.parametrize(
    "partial, key",
    [
        ({"model": {"Lx": 3}}, "model.Lx"),
        ({"modle": {"L": 3}}, "modle"),
        ({"model": {"L": 0}}, "model.L"),
        ({"model": {"L": 2.5}}, "model.L"),
        ({"model": {"N": "200"}}, "model.N"),
        ({"model": {"N": True}}, "model.N"),
        ({"model": {"spin": 0.3}}, "model.spin"),
        ({"model": {"spin": -0.5}}, "model.spin"),
        ({"model": {"boundary": "closed"}}, "model.boundary"),
        ({"model": {"sd_terms": "xy"}}, "model.sd_terms"),
        ({"model": {"electron_spin": "full"}}, "model.electron_spin"),
        ({"model": {"spin_sites": [100, 100, 101, 102]}}, "model.spin_sites"),
        ({"model": {"spin_sites": [100, 101]}}, "model.spin_sites"),
        ({"model": {"spin_sites": [198, 199, 200, 201]}}, "model.spin_sites"),
        ({"model": {"n_first": 198}}, "model.n_first"),
        ({"model": {"n_first": 100, "spin_sites": [10, 11, 12, 13]}}, "model.n_first"),
        ({"state": {"pair": "quartet"}}, "state.pair"),
        ({"state": {"sigma_d": 0}}, "state.sigma_d"),
        ({"state": {"x2": 98.0}}, "state.x2"),  # starts inside the spin chain
        ({"state": {"x2": 250.0}}, "state.x2"),  # outside the ring
        ({"state": {"d": 170.0}}, "state.d"),  # φ₁ wraps round to just behind the chain
        ({"state": {"d": -1.0}}, "state.d"),
        ({"model": {"boundary": "open"}, "state": {"d": 90.0}}, "state.d"),  # x1 < 0
        ({"evolution": {"chi_max": 0}}, "evolution.chi_max"),
        ({"evolution": {"t_max": -5.0}}, "evolution.t_max"),
        ({"evolution": {"t_max": "soon"}}, "evolution.t_max"),
        ({"evolution": {"dt_out": 0.0}}, "evolution.dt_out"),
        ({"evolution": {"backend": "gpu"}}, "evolution.backend"),
        ({"evolution": {"t_max": "auto"}, "state": {"k_e": -1.0}}, "state.k_e"),
        ({"evolution": {"t_max": "auto"}, "state": {"d": 70.0}}, "evolution.t_max"),  # re-entry
        ({"output": {"checkpoint_every": -1.0}}, "output.checkpoint_every"),
        ({"model": {"B_loc": [1.0, 2.0]}}, "model.B_loc"),
        ({"model": {"B_el": "up"}}, "model.B_el"),
        ({"model": {"D": [0.1]}}, "model.D"),
        ({"model": {"potential": [[0, 1]]}}, "model.potential"),
        ({"model": {"potential": [[10, 5, 1.0]]}}, "model.potential"),  # first > last
        ({"model": {"potential": [[0, 200, 1.0]]}}, "model.potential"),  # off the chain
        ({"state": {"local": "random"}}, "state.local"),
        ({"state": {"local": "pairs"}, "model": {"L": 3}}, "state.local"),  # L odd
        ({"state": {"local": "pairs"}, "model": {"spin": 1}}, "state.local_pair"),  # S = 1
        ({"state": {"local_pair": "quartet"}}, "state.local_pair"),
        ({"state": {"local_Sz": 0.3}}, "state.local_Sz"),
        ({"state": {"local": "ground", "local_Sz": 5}}, "state.local_Sz"),  # |S_z| > L S
        ({"state": {"local": "ground", "local_Sz": 0.5}}, "state.local_Sz"),  # L S integer
        ({"state": {"local": "ground", "local_Sz": 0}, "model": {"B_loc": [0.1, 0, 0]}},
         "state.local_Sz"),  # a transverse field has no S_z sector
        ({"state": {"pair": "single", "spin_theta": "up"}}, "state.spin_theta"),
        ({"state": {"spacing": -1.0}}, "state.spacing"),
        ({"state": {"pair": "theta", "theta": [0.0, 1.0]}}, "state.theta"),  # repeat = 1
        ({"state": {"pair": "theta", "theta": []}}, "state.theta"),
        ({"state": {"pair": "theta", "theta": ["pi"]}}, "state.theta"),
        ({"state": {"repeat": 0}}, "state.repeat"),
        ({"model": {"boundary": "open"}, "state": {"repeat": 3}}, "state.repeat"),  # off the chain
        ({"state": {"electrons": "box", "box": [0, 2], "n_up": 4}}, "state.n_up"),  # too small
        ({"state": {"electrons": "box", "box": [95, 105], "n_up": 1}}, "state.box"),  # on spins
        ({"state": {"electrons": "box", "box": [5], "n_up": 1}}, "state.box"),
        ({"state": {"electrons": "box", "box": [0, 9]}}, "state.n_up"),  # no electron
        ({"state": {"electrons": "box", "box": [0, 9], "n_up": 1},
          "evolution": {"t_max": "auto"}}, "evolution.t_max"),
        ({"state": {"electrons": "box", "box": [90, 99], "n_up": 5, "box_depth": 0.1}},
         "state.box_depth"),  # upper orbitals unbound, on the spins
        ({"state": {"electrons": "box", "box": [0, 9], "n_up": 1, "box_depth": -1}},
         "state.box_depth"),
        ({"state": {"electrons": "box", "box": [0, 9], "n_up": 2}, "model": {"t_h": 0.0}},
         "state.n_up"),  # every orbital degenerate
    ],
)
def test_bad_values_name_their_key(partial, key):
    with pytest.raises(ConfigError) as err:
        resolve(partial)
    assert err.value.key == key
    assert key in str(err.value)


def test_new_keys_default_to_the_papers_model_and_take_their_short_forms():
    spec = resolve()
    model, state = spec.model, spec.state
    assert model.J_ex_z is None and model.D == 0.0 and model.U == 0.0
    assert model.B_loc == model.B_el == (0.0, 0.0, 0.0) and model.potential == ()
    assert state.local == "up" and state.local_Sz is None
    assert resolve({"model": {"B_loc": 2}}).model.B_loc == (0.0, 0.0, 2.0)
    assert resolve({"model": {"potential": [[1, 3, 1]]}}).model.potential == ((1, 3, 1.0),)
    assert resolve({"state": {"local": "ground", "local_Sz": "-1"}}).state.local_Sz == -1.0


def test_exact_refuses_a_tilted_chain_that_does_not_fit(capsys, tmp_path):
    """A tilted magnet occupies every S_z sector: 2^40 local states on exact."""
    args = ["run", "--set", "model.N=300", "--set", "model.L=40", "--set", "state.local=tilted",
            "--set", "state.local_theta=0.5", "--set", "evolution.backend=exact",
            "-o", str(tmp_path / "x.h5")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "evolution.backend" in err and "GiB" in err and "mps" in err
    assert not (tmp_path / "x.h5").exists()


def test_allowed_values_are_in_the_message():
    with pytest.raises(ConfigError, match="'periodic', 'open'"):
        resolve({"model": {"boundary": "closed"}})
    with pytest.raises(ConfigError, match="allowed keys in \\[model\\]: N, L"):
        resolve({"model": {"Lx": 3}})


def test_auto_t_max_is_after_both_packets_left():
    from qst_mps.problem.geometry import auto_t_max, time_inside_chain

    config = resolve({"evolution": {"t_max": "auto"}, "state": {"d": 50.0}})
    assert auto_t_max(config) > time_inside_chain(config, 1)[1]
    assert auto_t_max(config) % config["evolution"]["dt_out"] == 0


def test_a_single_electron_near_the_left_end_is_not_checked_against_d():
    """d places φ₁ of a pair; a single electron (φ₂ alone) 3 sites from the open end is fine."""
    config = resolve({"model": {"boundary": "open", "N": 40, "n_first": 20},
                      "state": {"pair": "single_down", "x2": 3.0, "sigma_d": 0.7}})
    assert config["state"]["x2"] == 3.0
    with pytest.raises(ConfigError, match="state.d"):
        resolve({"model": {"boundary": "open", "N": 40, "n_first": 20},
                 "state": {"pair": "singlet", "x2": 3.0, "sigma_d": 0.7}})


def test_auto_t_max_of_a_single_electron_waits_for_it_alone():
    """A single electron's t_max = auto does not depend on d (which places a pair's φ₁): it
    equals that of a pair at d = 0, whose φ₁ and φ₂ start together."""
    base = {"evolution": {"t_max": "auto"}, "model": {"boundary": "open"}}
    single = [resolve({**base, "state": {"pair": "single_down", "d": d}})["evolution"]["t_max"]
              for d in (0.0, 30.0, 60.0)]
    pair = resolve({**base, "state": {"pair": "singlet", "d": 0.0}})["evolution"]["t_max"]
    assert single == [pair] * 3


def test_spin_accepts_fractions():
    assert resolve({"model": {"spin": "3/2"}})["model"]["spin"] == 1.5
    assert resolve({"model": {"spin": 1}})["model"]["spin"] == 1.0


def test_overrides_are_read_as_toml_or_strings():
    assert parse_override("model.L=8") == ("model", "L", 8)
    assert parse_override("state.pair=triplet_0") == ("state", "pair", "triplet_0")
    assert parse_override("evolution.t_max=auto") == ("evolution", "t_max", "auto")
    assert parse_override('model.spin="3/2"') == ("model", "spin", "3/2")
    assert apply_overrides({"model": {"L": 2}}, ["model.L=3"]) == {"model": {"L": 3}}
    with pytest.raises(ConfigError):
        parse_override("L=3")


VALUES = st.one_of(
    st.integers(-5, 400), st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
    st.text(max_size=8), st.sampled_from(["auto", "open", "singlet", "zz", "3/2", "pauli"]),
    st.lists(st.integers(-2, 300), max_size=5), st.none(),
)
KEYS = st.sampled_from(
    [(s, k) for s, opts in SCHEMA.items() for k in opts] + [("model", "Lx"), ("nope", "x")]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(KEYS, VALUES), max_size=6))
@example([(("model", "spin"), float("inf"))])  # Fraction(inf) raised OverflowError, uncaught
@example([(("state", "local_Sz"), float("-inf"))])
def test_validator_accepts_or_names_a_key(entries):
    """Any input either resolves to a self-consistent config or raises one ConfigError."""
    partial = {}
    for (section, key), value in entries:
        partial.setdefault(section, {})[key] = value
    try:
        config = resolve(partial)
    except ConfigError as err:
        section = err.key.split(".")[0]
        assert section in SCHEMA or section == "nope"
        return
    assert resolve(config) == config  # resolved configurations are valid and stable
    for section, opts in SCHEMA.items():
        assert set(config[section]) == set(opts)
    assert len(config["model"]["spin_sites"]) == config["model"]["L"]


def test_cli_refuses_zero_spins(capsys, tmp_path):
    assert main(["run", "--set", "model.L=0", "-o", str(tmp_path / "x.h5")]) == 2
    assert "model.L" in capsys.readouterr().err
    assert not (tmp_path / "x.h5").exists()


def test_cli_refuses_misspelt_key_in_file(capsys, tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text("[model]\nJ_SD = 0.3\n")
    assert main(["run", str(config), "-o", str(tmp_path / "x.h5")]) == 2
    assert "model.J_SD" in capsys.readouterr().err


def test_console_entry_exits_with_status_2(tmp_path):
    """The real process, as a user's shell sees it."""
    command = [sys.executable, "-m", "qst_mps", "run", "--set", "model.L=0"]
    done = subprocess.run([*command, "-o", str(tmp_path / "o.h5")], capture_output=True, text=True)
    assert done.returncode == 2
    assert "model.L" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_a_tolerance_picks_the_time_step_unless_it_is_given():
    """evolution.tolerance sets dt from the measured frontier (qst_mps/tolerance.py) unless
    the configuration gives it; a tighter tolerance takes a smaller step, and the step picked
    implies a time-step error within the tolerance."""
    from qst_mps.tolerance import error_estimate

    steps = {}
    for tolerance in (1e-3, 1e-4, 1e-5, 1e-7):
        evolution = {"tolerance": tolerance, "dt_out": 2.0}
        steps[tolerance] = resolve({"evolution": evolution})["evolution"]["dt"]
        assert error_estimate(steps[tolerance], 0.5) <= tolerance
    assert steps[1e-3] >= steps[1e-4] > steps[1e-5] > steps[1e-7]
    assert resolve({"evolution": {"tolerance": 1e-3, "dt": 0.25}})["evolution"]["dt"] == 0.25
    # never longer than the output interval, which the backend would cut it to
    assert resolve({"evolution": {"tolerance": 1e-3, "dt_out": 0.2}})["evolution"]["dt"] == 0.2
    # twice the hopping, half the step
    fast = resolve({"model": {"t_h": 1.0},
                    "evolution": {"tolerance": 1e-5, "dt_out": 2.0}})["evolution"]
    assert fast["dt"] == pytest.approx(steps[1e-5] / 2, abs=2e-4)
    with pytest.raises(ConfigError, match="evolution.tolerance"):
        resolve({"evolution": {"tolerance": 0}})
