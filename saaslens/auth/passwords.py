"""Argon2id password hashes.

Hashes are PHC strings, so those made by any other Argon2 implementation
(the reference C code, Node's @node-rs/argon2 behind Lucia, libsodium)
verify here too. Parameters below ours are upgraded at the next sign-in.
"""

from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher, Type, extract_parameters
from argon2.exceptions import InvalidHashError, VerificationError

# The floor OWASP recommends for Argon2id: 19 MiB, two passes, one lane.
MEMORY_KIB = 19456
TIME_COST = 2
PARALLELISM = 1

_hasher = PasswordHasher(
    time_cost=TIME_COST, memory_cost=MEMORY_KIB, parallelism=PARALLELISM, type=Type.ID
)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether `password` matches; a malformed hash never matches."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def is_weak(password_hash: str) -> bool:
    """Whether the hash uses another Argon2 variant or parameters below ours.

    Stronger parameters, such as those of a Lucia application, are kept.
    """
    try:
        parameters = extract_parameters(password_hash)
    except InvalidHashError:
        return True
    return (
        parameters.type is not Type.ID
        or parameters.memory_cost < MEMORY_KIB
        or parameters.time_cost < TIME_COST
        or parameters.parallelism < PARALLELISM
    )


@cache
def decoy_hash() -> str:
    """A hash no password matches, verified for unknown emails.

    Verifying it costs what checking a real account costs, so the time of a
    failed sign-in does not tell whether the email has an account.
    """
    return hash_password(secrets.token_urlsafe(32))
