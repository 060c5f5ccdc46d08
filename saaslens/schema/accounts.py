"""Root fields for signing in and for managing users and API tokens."""

from __future__ import annotations

import strawberry

from saaslens.resolvers import accounts
from saaslens.schema.connections import Connection
from saaslens.schema.permissions import IsAdmin, IsAuthenticated, IsSignedIn, needs
from saaslens.schema.types.accounts import (
    ApiToken,
    ChangePasswordResult,
    CreateApiTokenResult,
    CreateUserResult,
    DisableUserResult,
    RevokeApiTokenResult,
    SetRoleResult,
    SignInResult,
    User,
)


@strawberry.type
class AccountsQuery:
    me: User = strawberry.field(
        resolver=accounts.me,
        extensions=needs(IsAuthenticated),
        description="The signed-in person, or the owner of the API token sent.",
    )
    users: Connection[User] = strawberry.field(
        resolver=accounts.all_users, extensions=needs(IsAdmin), description="Users by email."
    )
    api_tokens: Connection[ApiToken] = strawberry.field(
        resolver=accounts.api_tokens,
        extensions=needs(IsAdmin),
        description="Every API token's record; the tokens themselves are never kept.",
    )


@strawberry.type
class AccountsMutation:
    sign_in: SignInResult = strawberry.field(
        resolver=accounts.sign_in,
        description="Start a session. Browsers get an HttpOnly cookie; with `bearer: true` "
        "the token is returned instead, for `Authorization: Bearer`. Public.",
    )
    sign_out: bool = strawberry.field(
        resolver=accounts.sign_out, extensions=needs(IsSignedIn), description="End this session."
    )
    sign_out_everywhere: bool = strawberry.field(
        resolver=accounts.sign_out_everywhere,
        extensions=needs(IsSignedIn),
        description="End every session of the signed-in person.",
    )
    change_password: ChangePasswordResult = strawberry.field(
        resolver=accounts.change_password,
        extensions=needs(IsSignedIn),
        description="Set a new password; every session ends and a new one starts.",
    )
    create_user: CreateUserResult = strawberry.field(
        resolver=accounts.create_user, extensions=needs(IsAdmin)
    )
    set_role: SetRoleResult = strawberry.field(
        resolver=accounts.set_role,
        extensions=needs(IsAdmin),
        description="Change a role; the user's sessions end, so none keeps the old role.",
    )
    disable_user: DisableUserResult = strawberry.field(
        resolver=accounts.disable_user, extensions=needs(IsAdmin)
    )
    create_api_token: CreateApiTokenResult = strawberry.field(
        resolver=accounts.create_api_token,
        extensions=needs(IsAdmin),
        description="Make an API token; it is shown in this answer and never again.",
    )
    revoke_api_token: RevokeApiTokenResult = strawberry.field(
        resolver=accounts.revoke_api_token, extensions=needs(IsAdmin)
    )
