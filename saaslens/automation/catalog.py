"""The templates shipped with the package, and making a script from one.

Each template is a script file in `templates/` described in its
`manifest.json`: a name, what it does, the JSON Schema of its parameters and
the limits it needs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from saaslens.automation import parameters, scripts
from saaslens.automation.exceptions import TemplateNotFound

PACKAGE = "saaslens.automation"


@dataclass(frozen=True, slots=True)
class Template:
    name: str
    title: str
    description: str
    source: str
    parameters_schema: Mapping[str, Any]
    timeout_seconds: float
    memory_mb: int
    cpu_seconds: int


@cache
def templates() -> tuple[Template, ...]:
    folder = resources.files(PACKAGE).joinpath("templates")
    manifest = json.loads(folder.joinpath("manifest.json").read_text())
    return tuple(
        Template(
            name=entry["name"],
            title=entry["title"],
            description=entry["description"],
            source=folder.joinpath(entry["source"]).read_text(),
            parameters_schema=entry["parameters"],
            **entry["limits"],
        )
        for entry in manifest
    )


def template(name: str) -> Template:
    for candidate in templates():
        if candidate.name == name:
            return candidate
    raise TemplateNotFound(f"no template is named {name!r}")


async def instantiate(
    session: AsyncSession,
    name: str,
    given: Mapping[str, Any],
    script_name: str | None = None,
    author: str | None = None,
) -> scripts.StoredScript:
    """A new script from a template, the given parameters baked in as its defaults."""
    chosen = template(name)
    resolved = parameters.resolve(chosen.parameters_schema, given)
    settings = scripts.ScriptSettings(
        name=script_name or chosen.title,
        description=chosen.description,
        timeout_seconds=chosen.timeout_seconds,
        memory_mb=chosen.memory_mb,
        cpu_seconds=chosen.cpu_seconds,
        parameters_schema=parameters.bake(chosen.parameters_schema, resolved),
    )
    return await scripts.create(session, chosen.source, settings, author, template=name)
