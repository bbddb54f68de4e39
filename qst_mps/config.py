"""Run configuration: from a TOML file, ``--set`` overrides or a dict to a checked RunSpec.

The keys, their types, defaults and meanings are declared once, as the fields of the section
classes of qst_mps/spec.py (docs/usage.md prints them). :func:`resolve` takes a partial
configuration (a nested dict ``{section: {key: value}}``), checks every key, fills the defaults,
derives the values that default to other values (``spin_sites``, ``n_first``, ``x2``), checks
the geometry (qst_mps/problem/checks.py), and returns the frozen
:class:`~qst_mps.spec.RunSpec` that the problem, the backends and the driver take and every
result file stores.

Every problem is reported as a :class:`~qst_mps.errors.ConfigError` naming the offending key
and what is allowed.
"""

from __future__ import annotations

import copy
import math
import tomllib
import warnings
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .problem.checks import check as check_geometry
from .spec import SECTIONS, Option, RunSpec, thawed

#: What a resume may change: how far the run goes, how often it checkpoints, and how many
#: processes do the TEBD arithmetic (the same state bit for bit; docs/notes/performance.md).
RESUMABLE_KEYS = ("evolution.t_max", "output.checkpoint_every", "evolution.processes")

#: Section -> key -> :class:`~qst_mps.spec.Option`: the keys as the RunSpec classes declare them.
SCHEMA: dict[str, dict[str, Option]] = {name: cls.options() for name, cls in SECTIONS.items()}


def defaults() -> dict:
    """The paper's model, every key at its default (derived keys still ``None``)."""
    return {s: {k: copy.deepcopy(o.default) for k, o in opts.items()}
            for s, opts in SCHEMA.items()}


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
        except (TypeError, ValueError, ZeroDivisionError, OverflowError):  # ±inf: OverflowError
            spin = None
        if spin is None or spin <= 0 or (2 * spin).denominator != 1:
            raise bad
        return float(spin)
    elif opt.kind == "half_integer":
        try:
            half = Fraction(value) if not isinstance(value, bool) else None
        except (TypeError, ValueError, ZeroDivisionError, OverflowError):  # ±inf: OverflowError
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


def plain(config: Mapping | None) -> dict:
    """A configuration (a RunSpec, or nested mappings) as a nested dict of lists, copied."""
    if config is None:
        return {}
    if not isinstance(config, Mapping):
        raise ConfigError("<config>", "expected a table of sections")
    return {section: ({key: thawed(copy.deepcopy(value)) for key, value in table.items()}
                      if isinstance(table, Mapping) else table)
            for section, table in config.items()}


def resolve(partial: Mapping | None = None, notes: list | None = None) -> RunSpec:
    """Validate a partial configuration and return the fully resolved :class:`RunSpec`.

    ``partial`` is a nested dict of sections (a RunSpec is returned as it is). A key that the
    chosen state does not read (:data:`CONDITIONAL`) is left out, with a note appended to
    ``notes`` (a warning when ``notes`` is None).

    Raises
    ------
    ConfigError
        Unknown section or key, wrong type, value out of range, or an impossible geometry.
    """
    if isinstance(partial, RunSpec):
        return partial
    partial = plain(partial)
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
    _fill_derived(config)
    spec = RunSpec.from_dict(config)
    check_geometry(spec)
    return spec


def _fill_derived(config: dict) -> None:
    """The keys that default to other keys' values, in place: ``spin_sites`` (from ``n_first``,
    default N // 2) and ``n_first`` (the first of them), and the leading packet's centre ``x2``
    (default n_first − 4 σ_d); ``spin_sites`` checked against N and L on the way."""
    model, state = config["model"], config["state"]
    N, L = model["N"], model["L"]
    if model["spin_sites"] is not None:
        sites = model["spin_sites"]
        if len(sites) != L:
            raise ConfigError("model.spin_sites", f"has {len(sites)} entries but model.L = {L}")
        if len(set(sites)) != L or any(not 0 <= s < N for s in sites):
            raise ConfigError(
                "model.spin_sites", f"needs {L} distinct sites in 0 … {N - 1} (model.N = {N})"
            )
        if model["n_first"] is not None and model["n_first"] != sites[0]:
            raise ConfigError("model.n_first", "contradicts model.spin_sites; give only one")
    else:
        n_first = N // 2 if model["n_first"] is None else model["n_first"]
        if n_first + L - 1 > N - 1:
            raise ConfigError(
                "model.n_first" if model["n_first"] is not None else "model.L",
                f"local spins at {n_first} … {n_first + L - 1} do not fit in 0 … {N - 1}",
            )
        model["spin_sites"] = list(range(n_first, n_first + L))
    model["n_first"] = model["spin_sites"][0]
    if state["electrons"] == "packets" and state["x2"] is None:
        state["x2"] = float(min(model["spin_sites"]) - 4 * state["sigma_d"])


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


def differences(a: Mapping, b: Mapping) -> list[str]:
    """Dotted keys whose values differ between two resolved configurations (output aside)."""
    a, b = plain(a), plain(b)
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


def apply_overrides(partial: Mapping | None, overrides: list[str]) -> dict:
    """Return a copy of ``partial`` (as a nested dict) with ``section.key=value`` overrides
    applied."""
    merged = plain(partial)
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
