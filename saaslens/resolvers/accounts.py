"""Signing in and out, and managing users and API tokens."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from saaslens.auth import signins, tokens, users
from saaslens.auth.roles import Role
from saaslens.auth.tokens import Scope
from saaslens.auth.viewers import Viewer, session_scheme
from saaslens.data.models import User as UserRow
from saaslens.errors import InvalidInput, NotFound, Unauthenticated
from saaslens.schema.connections import Connection, build_connection, decode_cursor, page_size
from saaslens.schema.context import Context, Info
from saaslens.schema.types.accounts import (
    ApiToken,
    ApiTokenCreated,
    ApiTokenRevoked,
    ChangePasswordResult,
    ConflictProblem,
    CreateApiTokenResult,
    CreateUserResult,
    DisableUserResult,
    InvalidInputProblem,
    NotFoundProblem,
    PasswordChanged,
    RevokeApiTokenResult,
    RoleChanged,
    SetRoleResult,
    SignedIn,
    SignInFailed,
    SignInResult,
    TokenScope,
    User,
    UserCreated,
    UserDisabled,
    UserRole,
    WrongPassword,
    api_token_from_row,
    user_from_row,
)


def _viewer(context: Context) -> Viewer:
    # Permission classes ran first; this only narrows the type.
    if context.viewer is None:
        raise Unauthenticated("Sign in first")
    return context.viewer


def _problem(error: InvalidInput) -> InvalidInputProblem:
    field = error.details.get("field")
    return InvalidInputProblem(message=error.message, field=str(field) if field else None)


async def _user(db: AsyncSession, user_id: strawberry.ID) -> UserRow:
    user = await db.get(UserRow, str(user_id))
    if user is None:
        raise NotFound(f"no user has the id {user_id!r}")
    return user


async def sign_in(info: Info, email: str, password: str, bearer: bool = False) -> SignInResult:
    context = info.context
    async with context.db() as db:
        signed = await signins.sign_in(
            db, context.settings, email, password, context.client_address, context.clock()
        )
        previous = context.viewer.session if context.viewer else None
        if signed is not None and previous is not None and context.credential is not None:
            # A new session at every sign-in: one planted before it is worthless.
            await session_scheme(context.settings).end(db, context.credential.token)
        await db.commit()
    if signed is None:
        return SignInFailed(message=signins.SIGN_IN_FAILED)
    if not bearer:
        context.start_session(signed.session)
    return SignedIn(
        user=user_from_row(signed.user),
        expires_at=signed.session.expires_at,
        token=signed.session.token if bearer else None,
    )


async def sign_out(info: Info) -> bool:
    context = info.context
    if context.credential is not None:
        async with context.db() as db:
            await signins.sign_out(db, context.settings, context.credential.token)
            await db.commit()
    context.end_session()
    return True


async def sign_out_everywhere(info: Info) -> bool:
    context = info.context
    async with context.db() as db:
        await signins.sign_out_everywhere(db, context.settings, _viewer(context).user)
        await db.commit()
    context.end_session()
    return True


async def change_password(
    info: Info, current_password: str, new_password: str
) -> ChangePasswordResult:
    context = info.context
    async with context.db() as db:
        user = await _user(db, strawberry.ID(_viewer(context).user.id))
        try:
            issued = await signins.change_password(
                db,
                context.settings,
                user,
                current_password,
                new_password,
                context.client_address,
                context.clock(),
            )
        except InvalidInput as error:
            return _problem(error)
        await db.commit()
    if issued is None:
        return WrongPassword(message="The current password is not right")
    by_cookie = context.credential is not None and context.credential.by_cookie
    if by_cookie:
        context.start_session(issued)
    return PasswordChanged(expires_at=issued.expires_at, token=None if by_cookie else issued.token)


async def create_user(info: Info, email: str, password: str, role: UserRole) -> CreateUserResult:
    context = info.context
    async with context.db() as db:
        try:
            user = await users.create_user(db, email, password, Role(role.value), context.clock())
        except InvalidInput as error:
            return _problem(error)
        except users.EmailTaken:
            return ConflictProblem(message=f"a user with the email {email.strip()} exists")
        await db.commit()
    return UserCreated(user=user_from_row(user))


async def set_role(info: Info, user_id: strawberry.ID, role: UserRole) -> SetRoleResult:
    context = info.context
    scheme = session_scheme(context.settings)
    async with context.db() as db:
        try:
            user = await _user(db, user_id)
            await users.change_role(db, scheme, user, Role(role.value))
        except NotFound as missing:
            return NotFoundProblem(message=missing.message)
        except users.LastAdmin:
            return ConflictProblem(message="the last admin keeps the admin role")
        own = user.id == _viewer(context).user.id
        issued = await scheme.create(db, user.id, context.clock()) if own else None
        await db.commit()
    if issued is not None:
        context.start_session(issued)
    return RoleChanged(user=user_from_row(user))


async def disable_user(info: Info, user_id: strawberry.ID) -> DisableUserResult:
    context = info.context
    async with context.db() as db:
        try:
            user = await _user(db, user_id)
            await users.disable_user(db, session_scheme(context.settings), user)
        except NotFound as missing:
            return NotFoundProblem(message=missing.message)
        except users.LastAdmin:
            return ConflictProblem(message="the last enabled admin cannot be disabled")
        await db.commit()
    return UserDisabled(user=user_from_row(user))


async def create_api_token(
    info: Info, name: str, scopes: list[TokenScope], days: int | None = None
) -> CreateApiTokenResult:
    context = info.context
    async with context.db() as db:
        try:
            issued = await tokens.issue_token(
                db,
                context.settings,
                _viewer(context).user,
                name,
                [Scope(scope.value) for scope in scopes],
                context.clock(),
                days,
            )
        except InvalidInput as error:
            return _problem(error)
        await db.commit()
    return ApiTokenCreated(token=issued.token, api_token=api_token_from_row(issued.record))


async def revoke_api_token(info: Info, id: strawberry.ID) -> RevokeApiTokenResult:
    context = info.context
    async with context.db() as db:
        try:
            record = await tokens.revoke_token(db, str(id), context.clock())
        except NotFound as missing:
            return NotFoundProblem(message=missing.message)
        await db.commit()
    return ApiTokenRevoked(api_token=api_token_from_row(record))


async def me(info: Info) -> User:
    return user_from_row(_viewer(info.context).user)


async def all_users(info: Info, first: int = 20, after: str | None = None) -> Connection[User]:
    limit = page_size(first, info.context.settings)
    async with info.context.db() as db:
        page = await users.users_page(db, decode_cursor(after), limit + 1)
    return build_connection(page.rows, limit, page.total, lambda row: row.email, user_from_row)


async def api_tokens(
    info: Info, first: int = 20, after: str | None = None
) -> Connection[ApiToken]:
    limit = page_size(first, info.context.settings)
    async with info.context.db() as db:
        page = await tokens.tokens_page(db, decode_cursor(after), limit + 1)
    return build_connection(page.rows, limit, page.total, lambda row: row.id, api_token_from_row)
