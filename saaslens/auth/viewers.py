"""Who is asking: the person or service behind a request's credential."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from saaslens.auth.lucia import LuciaV3Sessions
from saaslens.auth.roles import Role
from saaslens.auth.sessions import LuciaSessions, SessionScheme, ValidSession
from saaslens.auth.tokens import Scope, looks_like_jwt, verify_token
from saaslens.config import Settings
from saaslens.data.models import User


@dataclass(frozen=True)
class Viewer:
    """A signed-in person (`session` set) or a service holding an API token (`scopes` set)."""

    user: User
    session: ValidSession | None = None
    scopes: frozenset[Scope] | None = None

    @property
    def role(self) -> Role:
        return Role(self.user.role)

    def may(self, role: Role, scope: Scope | None) -> bool:
        """Whether a person of at least `role`, or a token with `scope`, is asking."""
        if self.scopes is None:
            return self.role.includes(role)
        return scope is not None and scope in self.scopes


def session_scheme(settings: Settings) -> SessionScheme:
    if settings.lucia_compat:
        return LuciaV3Sessions(settings)
    return LuciaSessions()


async def authenticate(
    db: AsyncSession, settings: Settings, credential: str, now: datetime
) -> Viewer | None:
    """The viewer a session token or API token stands for; None if it stands for nobody.

    Validating a session may extend or delete it, so commit afterwards.
    """
    if looks_like_jwt(credential):
        grant = await verify_token(db, settings, credential, now)
        return None if grant is None else Viewer(grant.user, scopes=grant.scopes)
    session = await session_scheme(settings).validate(db, credential, now)
    return None if session is None else Viewer(session.user, session=session)
