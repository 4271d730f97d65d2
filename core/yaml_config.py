"""Config files under config/: YAML read into a pydantic model, with errors that name the file and the field.

One way for every config file (clinic, payers, compliance rules, stack) to fail: `ConfigFileError` saying
`<path>: <field.path>: <what is wrong>`, never a traceback from yaml or pydantic.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from core.shapes import field_message

M = TypeVar("M", bound=BaseModel)


class ConfigFileError(Exception):
    """A config file is missing, not YAML, or wrong; the message names the file and the field."""


def validation_problems(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {field_message(e)}" for e in exc.errors(include_url=False))


def load_model(path: Path, model: type[M], error: type[Exception] = ConfigFileError) -> M:
    """`path` parsed as YAML and validated as `model`; `error` (naming file and field) when anything is wrong."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise error(f"{path}: {exc}") from exc
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise error(f"{path}: {validation_problems(exc)}") from exc
