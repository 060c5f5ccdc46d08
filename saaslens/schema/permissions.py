"""What each root field needs: a role for people, a scope for API tokens.

No credential gives UNAUTHENTICATED and too little gives FORBIDDEN, both as
`extensions.code` on the field's error. Every root field names one of these
classes unless it is deliberately public, such as signIn.
"""

from __future__ import annotations

from typing import Any, ClassVar

from strawberry.extensions import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension

from saaslens.auth.roles import Role
from saaslens.auth.tokens import Scope
from saaslens.auth.viewers import Viewer
from saaslens.errors import Forbidden, Unauthenticated
from saaslens.schema.context import Info


class Requirement(BasePermission):
    """A person of at least `role`, or an API token holding `scope` (None: people only)."""

    role: ClassVar[Role] = Role.VIEWER
    scope: ClassVar[Scope | None] = None

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer = await info.context.current_viewer()
        if viewer is None:
            raise Unauthenticated("Sign in, or send a session token or API token")
        if not self.allows(viewer):
            raise Forbidden(self.describe())
        return True

    def allows(self, viewer: Viewer) -> bool:
        return viewer.may(self.role, self.scope)

    @classmethod
    def describe(cls) -> str:
        needed = f"This needs the {cls.role.value} role"
        if cls.scope is None:
            return f"{needed}, signed in as a person"
        return f"{needed}, or an API token with the {cls.scope.value} scope"


class IsAuthenticated(Requirement):
    """Anyone with a valid session or API token."""

    def allows(self, viewer: Viewer) -> bool:
        return True


class IsSignedIn(Requirement):
    """A person with a session, whatever their role; API tokens are refused."""


class IsViewer(Requirement):
    scope = Scope.READ


class IsAnalyst(Requirement):
    role = Role.ANALYST
    scope = Scope.AUTOMATION


class IsAdmin(Requirement):
    role = Role.ADMIN


class CanIngest(Requirement):
    role = Role.ADMIN
    scope = Scope.INGEST


def needs(requirement: type[Requirement]) -> list[FieldExtension]:
    """Field extensions enforcing `requirement`; the SDL shows it as a directive."""
    return [PermissionExtension(permissions=[requirement()])]
