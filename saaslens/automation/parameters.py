"""Script parameters: a JSON Schema per script, its defaults filled in before a check."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jsonschema import SchemaError
from jsonschema.validators import validator_for

from saaslens.automation.exceptions import InvalidParameters, InvalidScript


def check_schema(schema: Mapping[str, Any]) -> None:
    """Refuse a parameters schema that is not a valid JSON Schema for an object."""
    try:
        validator_for(schema).check_schema(dict(schema))
    except SchemaError as error:
        raise InvalidScript(f"the parameters schema is not valid: {error.message}") from None
    if schema.get("type", "object") != "object":
        raise InvalidScript("the parameters schema must describe an object")


def resolve(schema: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters a run receives: top-level defaults filled in, then checked.

    Only top-level defaults are filled; a nested object must be given whole.
    """
    properties: Mapping[str, Any] = schema.get("properties", {})
    defaults = {
        name: spec["default"]
        for name, spec in properties.items()
        if isinstance(spec, Mapping) and "default" in spec
    }
    parameters = defaults | dict(given)
    validator = validator_for(schema)(schema)
    problems = [
        f"{_where(error.absolute_path)}: {error.message}"
        for error in sorted(validator.iter_errors(parameters), key=lambda e: list(e.path))
    ]
    if problems:
        raise InvalidParameters("the parameters do not match the schema", problems)
    return parameters


def bake(schema: Mapping[str, Any], parameters: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of the schema whose defaults are the given parameters."""
    properties = dict(schema.get("properties", {}))
    for name, value in parameters.items():
        properties[name] = {**properties.get(name, {}), "default": value}
    return {**schema, "properties": properties}


def _where(path: Any) -> str:
    return "/".join(str(part) for part in path) or "(parameters)"
