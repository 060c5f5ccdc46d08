"""The store's own faults, told in words a client can act on.

A database that cannot be reached, drops a connection, is read-only or has a
full disk is neither the client's mistake nor a bug in saaslens. The driver's
errors for these are recognised here and turned into DatabaseUnavailable, so
a client hears what happened instead of a masked internal error. So is the
one refusal that is the client's doing but only PostgreSQL makes: text
holding the NUL character.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import exc
from sqlalchemy.engine import Dialect
from sqlalchemy.pool import ConnectionPoolEntry

from saaslens.errors import DatabaseUnavailable, InvalidInput

UNREACHABLE = "the database cannot be reached; try again shortly"
LOST = "the connection to the database was lost during the request; try again"
BUSY = "the database is busy and no connection came free in time; try again shortly"
READ_ONLY = "the database refuses writes: it is read-only"
FULL = "the database refuses writes: its disk is full"
CANNOT_OPEN = "the database file cannot be opened"

# SQLite's primary result codes; an extended code keeps its primary one in the low byte.
_SQLITE = {
    sqlite3.SQLITE_READONLY: READ_ONLY,
    sqlite3.SQLITE_FULL: FULL,
    sqlite3.SQLITE_CANTOPEN: CANNOT_OPEN,
    sqlite3.SQLITE_BUSY: BUSY,
}

# PostgreSQL's SQLSTATEs, whole or by class (the first two characters).
_POSTGRES = {
    "08": UNREACHABLE,
    "57P01": LOST,
    "57P02": LOST,
    "57P03": UNREACHABLE,
    "53300": BUSY,
    "53100": FULL,
    "25006": READ_ONLY,
}


# What PostgreSQL says of the NUL character in text (22021) and in JSON (22P05).
# SQLite holds it, and a lookup by such text there just finds nothing.
_UNSTORABLE_TEXT = {"22021", "22P05"}
NUL_REFUSED = "text may not contain the NUL character (U+0000), which the store cannot hold"


def database_fault(error: BaseException) -> DatabaseUnavailable | None:
    """The store's fault behind `error`, or None when the store is not to blame."""
    if isinstance(error, DatabaseUnavailable):
        return error
    if isinstance(error, exc.TimeoutError):
        # The pool's own timeout: every connection stayed checked out.
        return DatabaseUnavailable(BUSY)
    if not isinstance(error, exc.DBAPIError):
        return None
    if error.connection_invalidated:
        return DatabaseUnavailable(LOST)
    message = _driver_fault(error.orig)
    return DatabaseUnavailable(message) if message is not None else None


def unstorable_text(error: BaseException) -> InvalidInput | None:
    """The client's text the store refused behind `error`, or None.

    Ingestion refuses NUL characters itself, naming the row; this answers any
    other argument that carries one to PostgreSQL, a search or a name to look up.
    """
    if isinstance(error, exc.DBAPIError) and _sqlstate(error.orig) in _UNSTORABLE_TEXT:
        return InvalidInput(NUL_REFUSED)
    return None


def refusal(error: BaseException, what: str) -> str | None:
    """What to tell a person whose `what` the store refused, or None when it is not to blame.

    Words for the command line: the fault's own, or for a table or column the
    store lacks, the driver's words and the likely cause.
    """
    fault = database_fault(error)
    if fault is not None:
        return f"The store refused {what}: {fault.message}."
    if isinstance(error, exc.OperationalError | exc.ProgrammingError):
        # Most often a store that was never migrated; the driver's words say which.
        return f"The store refused {what}: {error.orig}. Has `saaslens db upgrade` been run?"
    return None


def _driver_fault(error: BaseException | None) -> str | None:
    if isinstance(error, sqlite3.Error):
        return _SQLITE.get(error.sqlite_errorcode & 0xFF)
    state = _sqlstate(error)
    return _POSTGRES.get(state) or _POSTGRES.get(state[:2])


def _sqlstate(error: BaseException | None) -> str:
    return str(getattr(error, "sqlstate", None) or "")


def refuse_unreachable(
    dialect: Dialect, _record: ConnectionPoolEntry, cargs: Any, cparams: Any
) -> Any:
    """Connect as the dialect does, naming a refused or timed-out connection as such.

    The PostgreSQL driver raises these as bare OSError and TimeoutError, which
    the rest of the application cannot tell from its own faults.
    """
    try:
        return dialect.connect(*cargs, **cparams)
    except (OSError, TimeoutError) as error:
        raise DatabaseUnavailable(UNREACHABLE) from error
