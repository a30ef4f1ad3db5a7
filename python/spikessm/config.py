"""Configs as the CLI reads them: TOML over the defaults, checked against one schema."""
import json
import os

from . import _C


def _toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)  # a TOML basic string
    raise TypeError(f"config values are bool, int, float or str, got {type(v).__name__}")


def make_config(base=None, overrides=None):
    """The full config as TOML text: the defaults, then ``base``, then ``overrides``.

    base: a path to a TOML file (e.g. ``configs/quickstart.toml``), TOML text, or None.
    overrides: a dict of ``"section.key": value`` (as ``--set section.key=value``).
    Every key, type and range is checked as by the CLI; a bad one raises ValueError naming it
    (``spikessm train --help-config`` lists the keys).
    """
    text = ""
    if base is not None:
        if "\n" not in base and (base.endswith(".toml") or os.path.exists(base)):
            text = _C.read_file(base)
        else:
            text = base
    sets = [f"{k}={_toml_value(v)}" for k, v in (overrides or {}).items()]
    return _C.config_toml(text, sets)
