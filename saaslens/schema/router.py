"""The GraphQL endpoint, with sockets that authenticate in connection_init."""

from __future__ import annotations

from strawberry.exceptions import ConnectionRejectionError
from strawberry.fastapi import GraphQLRouter
from strawberry.types.unset import UnsetType

from saaslens.schema.context import Context
from saaslens.schema.credentials import connection_init_credential


class GraphQLEndpoint(GraphQLRouter[Context, None]):
    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Take a token from the connection_init payload over the handshake's cookie.

        A token that is sent but stands for nobody closes the socket (4403),
        so a client learns at once rather than at its first subscription.
        """
        credential = connection_init_credential(context.connection_params)
        if credential is not None and await context.authenticate(credential) is None:
            raise ConnectionRejectionError({"message": "the token is not valid or has expired"})
        return UnsetType()
