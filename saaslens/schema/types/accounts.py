"""Types for people, their sessions and API tokens, and the outcomes of changing them."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry

from saaslens.data import models


@strawberry.enum(name="Role", description="Each role may do all that the ones before it may.")
class UserRole(Enum):
    VIEWER = "viewer"
    ANALYST = "analyst"
    ADMIN = "admin"


@strawberry.enum(name="TokenScope")
class TokenScope(Enum):
    READ = "read"
    INGEST = "ingest"
    AUTOMATION = "automation"


@strawberry.type
class User:
    id: strawberry.ID
    email: str
    role: UserRole
    disabled: bool
    created_at: datetime


@strawberry.type(description="An API token's record; the token itself is shown only once.")
class ApiToken:
    id: strawberry.ID
    name: str
    scopes: list[TokenScope]
    owner_id: strawberry.ID
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


@strawberry.type(description="The input was refused; `field` names the argument at fault.")
class InvalidInputProblem:
    message: str
    field: str | None


@strawberry.type(description="The change conflicts with what the store holds.")
class ConflictProblem:
    message: str


@strawberry.type
class NotFoundProblem:
    message: str


@strawberry.type(description="The current password given was not the user's.")
class WrongPassword:
    message: str


@strawberry.type(description="The one answer to any failed sign-in, whatever went wrong.")
class SignInFailed:
    message: str


@strawberry.type
class SignedIn:
    user: User
    expires_at: datetime
    token: str | None = strawberry.field(
        description="The session token, only when asked for with `bearer: true`; "
        "browsers get it as an HttpOnly cookie instead."
    )


@strawberry.type(description="The password changed; every other session of the user ended.")
class PasswordChanged:
    expires_at: datetime
    token: str | None = strawberry.field(
        description="The new session token when the old one was sent as a Bearer token."
    )


@strawberry.type
class UserCreated:
    user: User


@strawberry.type(description="The role changed and the user's sessions ended.")
class RoleChanged:
    user: User


@strawberry.type(description="The user can no longer sign in; their sessions ended.")
class UserDisabled:
    user: User


@strawberry.type
class ApiTokenCreated:
    token: str = strawberry.field(description="The token; it is not stored and is shown once.")
    api_token: ApiToken


@strawberry.type
class ApiTokenRevoked:
    api_token: ApiToken


SignInResult = Annotated[SignedIn | SignInFailed, strawberry.union("SignInResult")]
ChangePasswordResult = Annotated[
    PasswordChanged | WrongPassword | InvalidInputProblem,
    strawberry.union("ChangePasswordResult"),
]
CreateUserResult = Annotated[
    UserCreated | ConflictProblem | InvalidInputProblem, strawberry.union("CreateUserResult")
]
SetRoleResult = Annotated[
    RoleChanged | NotFoundProblem | ConflictProblem, strawberry.union("SetRoleResult")
]
DisableUserResult = Annotated[
    UserDisabled | NotFoundProblem | ConflictProblem, strawberry.union("DisableUserResult")
]
CreateApiTokenResult = Annotated[
    ApiTokenCreated | InvalidInputProblem, strawberry.union("CreateApiTokenResult")
]
RevokeApiTokenResult = Annotated[
    ApiTokenRevoked | NotFoundProblem, strawberry.union("RevokeApiTokenResult")
]


def user_from_row(user: models.User) -> User:
    return User(
        id=strawberry.ID(user.id),
        email=user.email,
        role=UserRole(user.role),
        disabled=user.disabled,
        created_at=user.created_at,
    )


def api_token_from_row(record: models.ApiToken) -> ApiToken:
    return ApiToken(
        id=strawberry.ID(record.id),
        name=record.name,
        scopes=[TokenScope(scope) for scope in record.scopes.split()],
        owner_id=strawberry.ID(record.user_id),
        created_at=record.created_at,
        expires_at=record.expires_at,
        revoked_at=record.revoked_at,
    )
