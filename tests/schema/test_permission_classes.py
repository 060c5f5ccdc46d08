"""Which viewers each permission class lets through: roles for people, scopes for tokens."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from saaslens.auth.roles import Role
from saaslens.auth.sessions import ValidSession
from saaslens.auth.tokens import Scope
from saaslens.auth.viewers import Viewer
from saaslens.data.models import User
from saaslens.schema.permissions import (
    CanIngest,
    IsAdmin,
    IsAnalyst,
    IsAuthenticated,
    IsSignedIn,
    IsViewer,
    Requirement,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def person(role: Role) -> Viewer:
    user = User(id="u", email="u@example.com", role=role.value, disabled=False)
    return Viewer(user, session=ValidSession(user, NOW, renewed=False))


def token(*scopes: Scope) -> Viewer:
    user = User(id="a", email="a@example.com", role=Role.ADMIN.value, disabled=False)
    return Viewer(user, scopes=frozenset(scopes))


VIEWERS = {
    "viewer": person(Role.VIEWER),
    "analyst": person(Role.ANALYST),
    "admin": person(Role.ADMIN),
    "read token": token(Scope.READ),
    "ingest token": token(Scope.INGEST),
    "automation token": token(Scope.AUTOMATION),
}


@pytest.mark.parametrize(
    ("requirement", "allowed"),
    [
        (IsAuthenticated, set(VIEWERS)),
        (IsSignedIn, {"viewer", "analyst", "admin"}),
        (IsViewer, {"viewer", "analyst", "admin", "read token"}),
        (IsAnalyst, {"analyst", "admin", "automation token"}),
        (IsAdmin, {"admin"}),
        (CanIngest, {"admin", "ingest token"}),
    ],
)
def test_each_requirement_admits_exactly_its_viewers(
    requirement: type[Requirement], allowed: set[str]
) -> None:
    admitted = {name for name, viewer in VIEWERS.items() if requirement().allows(viewer)}

    assert admitted == allowed


def test_a_refusal_names_the_role_and_the_scope_that_would_do() -> None:
    assert CanIngest.describe() == (
        "This needs the admin role, or an API token with the ingest scope"
    )
    assert IsAdmin.describe() == "This needs the admin role, signed in as a person"
