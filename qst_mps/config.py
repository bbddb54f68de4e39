"""Run configuration: the schema of docs/usage.md, defaults (the paper's model), validation.

A configuration is a plain nested dict ``{section: {key: value}}``. :func:`resolve` takes a partial
one (from a TOML file and ``--set`` overrides), checks every key, fills the defaults, derives the
values that default to other values (``n_first``, ``x2``), checks the geometry, and returns the
fully resolved configuration that is stored in every result file.

Every problem is reported as a :class:`~qst_mps.errors.ConfigError` naming the offending key
and what is allowed.
"""

from __future__ import annotations

import copy
import math
import tomllib
import warnings
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .observables import OPTIONAL as OPTIONAL_OBSERVABLES


@dataclass(frozen=True)
class Option:
    """One configuration key: its type, default and meaning (with units)."""

    kind: str  # int | float | str | str_list | spin | half_integer | int_list | vector |
    #            potential | float_or_auto | float_or_inf | float_or_list | path
    default: Any
    doc: str
    choices: tuple = ()
    minimum: float | None = None
    strict_minimum: bool = False


SCHEMA: dict[str, dict[str, Option]] = {
    "model": {
        "N": Option("int", 200, "number of conduction sites x = 0 … N-1", minimum=2),
        "L": Option("int", 4, "number of local spins j = 0 … L-1", minimum=1),
        "spin_sites": Option(
            "int_list", None, "conduction sites n_j of the local spins (default: n_first + j)"
        ),
        "n_first": Option("int", None, "site of the first local spin (default: N // 2)", minimum=0),
        "t_h": Option("float", 0.5, "hopping t_h (eV)"),
        "J_ex": Option("float", 0.2, "exchange between neighbouring local spins J_ex (eV)"),
        "J_ex_z": Option(
            "float", None, "exchange of the z components of neighbouring local spins (eV); "
            "default J_ex (isotropic)"
        ),
        "J_sd": Option("float", 0.3, "sd exchange between conduction and local spins J_sd (eV)"),
        "D": Option(
            "float", 0.0, "single-ion anisotropy D in −D Σ_j (S^z_j)² (eV); D > 0: easy axis"
        ),
        "B_loc": Option(
            "vector", [0.0, 0.0, 0.0],
            "field on the local spins, −Σ_j B_loc·S_j (eV): [Bx, By, Bz], or one number (Bz)"
        ),
        "B_el": Option(
            "vector", [0.0, 0.0, 0.0],
            "field on the electrons, −Σ_x B_el·s_x, s in spin-½ units (eV): [Bx, By, Bz], or Bz"
        ),
        "U": Option("float", 0.0, "Hubbard repulsion U Σ_x n_x↑ n_x↓ (eV)"),
        "potential": Option(
            "potential", [],
            "potential Σ_x V_x n_x: a list of [first, last, V], V (eV) on sites first … last"
        ),
        "spin": Option("spin", 0.5, "local spin S (1/2, 1, 3/2, …)"),
        "boundary": Option("str", "periodic", "conduction chain boundary", ("periodic", "open")),
        "sd_terms": Option(
            "str", "full", "sd terms kept: s·S, only s^z S^z, or only the flips",
            ("full", "zz", "flip"),
        ),
        "electron_spin": Option(
            "str", "half", "electron spin operator: s (spin 1/2) or 2s (Pauli)", ("half", "pauli")
        ),
    },
    "state": {
        "electrons": Option(
            "str", "packets", "initial conduction electrons: Gaussian packets (pair, repeat), or "
            "the ground state of a box released at t = 0 (box, n_up, n_down, box_depth)",
            ("packets", "box"),
        ),
        "box": Option(
            "int_list", None, "'box': its sites [first, last]; they must not hold a local spin"
        ),
        "n_up": Option("int", 0, "'box': number of ↑ electrons", minimum=0),
        "n_down": Option("int", 0, "'box': number of ↓ electrons", minimum=0),
        "box_depth": Option(
            "float_or_inf", "inf", "'box': 'inf' (hard walls: the box alone) or the depth of a "
            "well −box_depth on the box's sites of the whole chain (eV)", minimum=0.0,
            strict_minimum=True,
        ),
        "pair": Option(
            "str", "singlet", "spin state of the conduction electron(s)",
            ("singlet", "triplet_0", "triplet_minus", "triplet_plus", "theta", "single_down",
             "single"),
        ),
        "theta": Option(
            "float_or_list", 0.0, "relative phase θ of the 'theta' pair (rad), Eq. 8; in a "
            "train, one number for every copy or a list of `repeat` numbers, copy 0 first"
        ),
        "spin_theta": Option(
            "float", 0.0, "'single' pair: polar angle of the electron's spin from +z (rad)"
        ),
        "spin_phi": Option("float", 0.0, "'single' pair: azimuth of the electron's spin (rad)"),
        "k_e": Option("float", 1.0, "packet wave vector k_e (1/a)"),
        "sigma_d": Option("float", 5.0, "packet width σ_d (a)", minimum=0.0, strict_minimum=True),
        "x2": Option(
            "float", None, "centre of φ₂, the leading packet (a); default n_first − 4 σ_d"
        ),
        "d": Option("float", 30.0, "packet separation d = x2 − x1 (a)", minimum=0.0),
        "repeat": Option(
            "int", 1, "copies of the pair (or single electron) in a train; copy m moves by "
            "−m·spacing", minimum=1
        ),
        "spacing": Option(
            "float", None, "distance between copies of a train (a); default d + 8 σ_d for "
            "pairs, 8 σ_d for one electron", minimum=0.0
        ),
        "local": Option(
            "str", "up", "initial state of the local spins",
            ("up", "down", "neel", "tilted", "pairs", "ground"),
        ),
        "local_theta": Option(
            "float", 0.0, "'tilted': polar angle of every local spin from +z (rad)"
        ),
        "local_phi": Option("float", 0.0, "'tilted': azimuth of every local spin (rad)"),
        "local_pair": Option(
            "str", "singlet", "'pairs': two-spin state of spins (0, 1), (2, 3), … (S = ½)",
            ("singlet", "triplet_0", "triplet_plus", "triplet_minus"),
        ),
        "local_Sz": Option(
            "half_integer", None,
            "'ground': total local S^z of the ground state (default 0, or ½ when L·S is "
            "half-integer)"
        ),
    },
    "evolution": {
        "backend": Option("str", "auto", "solver", ("auto", "exact", "mps")),
        "t_max": Option(
            "float_or_auto", 100.0,
            "final time (fs), or 'auto': both packets have left the spin chain", minimum=0.0,
            strict_minimum=True,
        ),
        "dt_out": Option("float", 0.5, "interval between output times (fs)", minimum=0.0,
                         strict_minimum=True),
        "chi_max": Option("int", 256, "mps: maximal bond dimension", minimum=1),
        "svd_min": Option("float", 1e-8, "mps: discarded Schmidt values below this", minimum=0.0),
        "dt": Option("float", 0.5, "mps: time step (fs)", minimum=0.0, strict_minimum=True),
        "tolerance": Option(
            "float", None, "mps: target time-step error in Δσ_z (ħ); picks dt from the "
            "measured frontier unless dt is given (docs/performance.md)", minimum=0.0,
            strict_minimum=True,
        ),
        "processes": Option(
            "int", 1, "mps, TEBD: 2 splits every layer's gates between this process and a "
            "second one (the same state; docs/performance.md)", (1, 2),
        ),
    },
    "output": {
        "path": Option("path", "qst_mps_run.h5", "result file (HDF5)"),
        "checkpoint_every": Option(
            "float", 10.0, "simulated time between checkpoints (fs); 0 disables", minimum=0.0
        ),
        "observables": Option(
            "str_list", [], "optional observables to record as well (docs/physics.md)",
            choices=OPTIONAL_OBSERVABLES,
        ),
        "dt_heavy": Option(
            "float", None, "interval (fs) between the output times that also record energy, "
            "norm and the electron-spin observables (on mps: MPO contractions), NaN at the "
            "others; a multiple of evolution.dt_out; default: every output time", minimum=0.0,
            strict_minimum=True,
        ),
    },
}


def defaults() -> dict:
    """The paper's model, every key at its default (derived keys still ``None``)."""
    return {s: {k: copy.deepcopy(o.default) for k, o in opts.items()}
            for s, opts in SCHEMA.items()}


def complete(stored: dict) -> dict:
    """A resolved configuration stored by an earlier version (a result file's), with the keys
    added since at their defaults, which describe what that version did."""
    return {section: {**table, **stored.get(section, {})} for section, table in defaults().items()}


def _allowed(opt: Option) -> str:
    if opt.kind == "str_list":
        return "a list of names from " + ", ".join(repr(c) for c in opt.choices)
    if opt.choices:
        return "one of " + ", ".join(repr(c) for c in opt.choices)
    text = {
        "int": "an integer",
        "float": "a number",
        "str": "a string",
        "spin": "a positive multiple of 1/2 (0.5, 1, '3/2', …)",
        "half_integer": "a multiple of 1/2 (0, 0.5, -1, …)",
        "vector": "a number (z component) or a list of three numbers [x, y, z]",
        "potential": "a list of [first, last, V] entries (sites, eV)",
        "int_list": "a list of integers",
        "str_list": "a list of names",
        "float_or_auto": "a number or 'auto'",
        "float_or_inf": "a number or 'inf'",
        "float_or_list": "a number or a non-empty list of numbers",
        "path": "a file path",
    }[opt.kind]
    if opt.minimum is not None:
        text += f" {'>' if opt.strict_minimum else '>='} {opt.minimum:g}"
    return text


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value))


def _coerce(key: str, opt: Option, value: Any) -> Any:
    """Check the type of one value, return it in canonical form."""
    bad = ConfigError(key, f"got {value!r}; expected {_allowed(opt)}")
    if value is None and opt.default is None:
        return None
    if opt.kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad
        if opt.choices and value not in opt.choices:
            raise bad
    elif opt.kind in ("float", "float_or_auto", "float_or_inf"):
        if (opt.kind, value) in (("float_or_auto", "auto"), ("float_or_inf", "inf")):
            return value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise bad
        if not math.isfinite(value):
            raise bad
        value = float(value)
    elif opt.kind == "float_or_list":
        if isinstance(value, list) and value and all(map(_is_number, value)):
            return [float(v) for v in value]
        if not _is_number(value):
            raise bad
        value = float(value)
    elif opt.kind in ("str", "path"):
        if not isinstance(value, str) or (opt.choices and value not in opt.choices):
            raise bad
    elif opt.kind == "spin":
        try:
            spin = Fraction(value) if not isinstance(value, bool) else None
        except (TypeError, ValueError, ZeroDivisionError):
            spin = None
        if spin is None or spin <= 0 or (2 * spin).denominator != 1:
            raise bad
        return float(spin)
    elif opt.kind == "half_integer":
        try:
            half = Fraction(value) if not isinstance(value, bool) else None
        except (TypeError, ValueError, ZeroDivisionError):
            half = None
        if half is None or (2 * half).denominator != 1:
            raise bad
        return float(half)
    elif opt.kind == "vector":
        if _is_number(value):
            return [0.0, 0.0, float(value)]
        if not isinstance(value, list) or len(value) != 3 or not all(map(_is_number, value)):
            raise bad
        return [float(v) for v in value]
    elif opt.kind == "potential":
        if not isinstance(value, list) or not all(
            isinstance(entry, list) and len(entry) == 3 and _is_int(entry[0])
            and _is_int(entry[1]) and _is_number(entry[2]) for entry in value
        ):
            raise bad
        return [[int(a), int(b), float(v)] for a, b, v in value]
    elif opt.kind == "str_list":
        if not isinstance(value, list) or not all(v in opt.choices for v in value):
            raise bad
        return list(dict.fromkeys(value))
    elif opt.kind == "int_list":
        if not isinstance(value, list) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        ):
            raise bad
        return list(value)
    if opt.minimum is not None and isinstance(value, int | float):
        if value < opt.minimum or (opt.strict_minimum and value == opt.minimum):
            raise bad
    return value


#: Keys that only some states read: key -> (whether the configuration uses it, what uses it).
#: One rule for all of them: a key set to a value other than its default where nothing reads it
#: is reported and left out (reset to its default) of the resolved configuration.
def _packets(c: dict) -> bool:
    return c["state"]["electrons"] == "packets"


def _box(c: dict) -> bool:
    return c["state"]["electrons"] == "box"


CONDITIONAL = {
    "state.theta": (lambda c: _packets(c) and c["state"]["pair"] == "theta",
                    "state.pair = 'theta'"),
    "state.spin_theta": (lambda c: _packets(c) and c["state"]["pair"] == "single",
                         "state.pair = 'single'"),
    "state.spin_phi": (lambda c: _packets(c) and c["state"]["pair"] == "single",
                       "state.pair = 'single'"),
    "state.local_theta": (lambda c: c["state"]["local"] == "tilted", "state.local = 'tilted'"),
    "state.local_phi": (lambda c: c["state"]["local"] == "tilted", "state.local = 'tilted'"),
    "state.local_pair": (lambda c: c["state"]["local"] == "pairs", "state.local = 'pairs'"),
    "state.local_Sz": (lambda c: c["state"]["local"] == "ground", "state.local = 'ground'"),
    "state.spacing": (lambda c: _packets(c) and c["state"]["repeat"] > 1, "state.repeat > 1"),
    **{f"state.{key}": (_packets, "state.electrons = 'packets'")
       for key in ("pair", "k_e", "sigma_d", "x2", "d", "repeat")},
    **{f"state.{key}": (_box, "state.electrons = 'box'")
       for key in ("box", "n_up", "n_down", "box_depth")},
}


def _leave_out_unused(config: dict, notes: list | None) -> None:
    """Apply the rule of :data:`CONDITIONAL`, in place."""
    for dotted, (used, by) in CONDITIONAL.items():
        section, key = dotted.split(".")
        default = SCHEMA[section][key].default
        value = config[section][key]
        if value != default and not used(config):
            text = (f"{dotted} = {value!r} is not used unless {by}; left out of the "
                    "configuration")
            config[section][key] = copy.deepcopy(default)
            if notes is None:
                warnings.warn(text, stacklevel=3)
            else:
                notes.append(text)


def resolve(partial: dict | None = None, notes: list | None = None) -> dict:
    """Validate a partial configuration and return the fully resolved one.

    A key that the chosen state does not read (:data:`CONDITIONAL`) is left out, with a note
    appended to ``notes`` (a warning when ``notes`` is None).

    Raises
    ------
    ConfigError
        Unknown section or key, wrong type, value out of range, or an impossible geometry.
    """
    partial = partial or {}
    if not isinstance(partial, dict):
        raise ConfigError("<config>", "expected a table of sections")
    config = defaults()
    for section, table in partial.items():
        if section not in SCHEMA:
            raise ConfigError(section, f"unknown section; allowed sections: {', '.join(SCHEMA)}")
        if not isinstance(table, dict):
            raise ConfigError(section, "expected a table of keys")
        for key, value in table.items():
            if key not in SCHEMA[section]:
                raise ConfigError(
                    f"{section}.{key}",
                    f"unknown key; allowed keys in [{section}]: {', '.join(SCHEMA[section])}",
                )
            config[section][key] = _coerce(f"{section}.{key}", SCHEMA[section][key], value)
    _leave_out_unused(config, notes)
    _apply_tolerance(config, partial.get("evolution", {}))
    _check_heavy(config)
    _check_geometry(config)
    return config


def _check_heavy(config: dict) -> None:
    """``output.dt_heavy`` must fall on the output grid: a whole multiple of dt_out."""
    dt_heavy, dt_out = config["output"]["dt_heavy"], config["evolution"]["dt_out"]
    if dt_heavy is not None and abs(dt_heavy / dt_out - round(dt_heavy / dt_out)) > 1e-9:
        raise ConfigError("output.dt_heavy", f"must be a whole multiple of evolution.dt_out "
                                             f"= {dt_out:g} fs, got {dt_heavy:g}")


def _apply_tolerance(config: dict, given: dict) -> None:
    """With ``evolution.tolerance``, set dt from the measured frontier (qst_mps/tolerance.py)
    unless the configuration gives it; at most dt_out, since the backend cuts every output
    interval into steps of at most dt (a longer step would be cut anyway)."""
    evolution = config["evolution"]
    if evolution["tolerance"] is not None and "dt" not in given:
        from .tolerance import time_step

        step = time_step(evolution["tolerance"], config["model"]["t_h"])
        evolution["dt"] = min(step, evolution["dt_out"])


def _check_geometry(config: dict) -> None:
    """Fill derived defaults and check the sites and packets against each other."""
    from .problem.checks import check_and_fill

    check_and_fill(config)


def differences(a: dict, b: dict) -> list[str]:
    """Dotted keys whose values differ between two resolved configurations (output aside)."""
    return [f"{section}.{key}" for section in a if section != "output"
            for key in sorted(set(a[section]) | set(b.get(section, {})))
            if a[section].get(key) != b.get(section, {}).get(key)]


def parse_override(text: str) -> tuple[str, str, Any]:
    """Parse one ``section.key=value`` override; the value is read as TOML, else as a string."""
    if "=" not in text:
        raise ConfigError(text, "an override is written section.key=value")
    dotted, raw = text.split("=", 1)
    dotted = dotted.strip()
    if dotted.count(".") != 1:
        raise ConfigError(dotted, "an override key is written section.key (e.g. model.L)")
    section, key = dotted.split(".")
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return section, key, value


def apply_overrides(partial: dict, overrides: list[str]) -> dict:
    """Return a copy of ``partial`` with ``section.key=value`` overrides applied."""
    merged = copy.deepcopy(partial)
    for text in overrides:
        section, key, value = parse_override(text)
        merged.setdefault(section, {})
        if not isinstance(merged[section], dict):
            raise ConfigError(section, "expected a table of keys")
        merged[section][key] = value
    return merged


def load_toml(path: str | Path) -> dict:
    """Read a configuration file (TOML) without resolving it."""
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(str(path), "configuration file not found") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(str(path), f"not valid TOML: {err}") from None


def reference_markdown() -> str:
    """The configuration reference as a Markdown table, generated from :data:`SCHEMA`."""
    lines = []
    for section, opts in SCHEMA.items():
        lines += [f"### [{section}]", "", "| key | default | allowed | meaning |"]
        lines.append("|---|---|---|---|")
        for key, opt in opts.items():
            lines.append(f"| `{key}` | `{opt.default!r}` | {_allowed(opt)} | {opt.doc} |")
        lines.append("")
    return "\n".join(lines)
