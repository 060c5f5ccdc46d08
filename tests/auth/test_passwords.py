from __future__ import annotations

from argon2 import Type, extract_parameters
from argon2.low_level import hash_secret

from saaslens.auth.passwords import hash_password, is_weak, verify_password

# Test vectors of the Argon2 reference implementation (password "password",
# salt "somesalt", t=2, m=64 MiB, p=1), made by its C code, not by argon2-cffi.
REFERENCE_ARGON2ID = (
    "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"
)
REFERENCE_ARGON2I = (
    "$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$wWKIMhR9lyDFvRz9YTZweHKfbftvj+qf+YFY4NeBbtA"
)


def test_new_hashes_are_argon2id_at_least_at_the_owasp_floor() -> None:
    parameters = extract_parameters(hash_password("a long enough password"))

    assert parameters.type is Type.ID
    assert parameters.memory_cost >= 19456
    assert parameters.time_cost >= 2
    assert parameters.parallelism >= 1


def test_hashes_from_another_implementation_verify() -> None:
    assert verify_password(REFERENCE_ARGON2ID, "password")
    assert verify_password(REFERENCE_ARGON2I, "password")
    assert not verify_password(REFERENCE_ARGON2ID, "Password")


def test_a_malformed_hash_never_matches() -> None:
    assert not verify_password("$2b$12$not-an-argon2-hash", "password")


def test_only_weaker_hashes_are_marked_for_rehashing() -> None:
    cheap = hash_secret(b"password", b"somesaltsomesalt", 1, 1024, 1, 32, Type.ID).decode()

    assert is_weak(REFERENCE_ARGON2I), "another variant than Argon2id"
    assert is_weak(cheap), "below the memory and time floor"
    assert not is_weak(REFERENCE_ARGON2ID), "stronger memory is kept"
    assert not is_weak(hash_password("a long enough password"))
