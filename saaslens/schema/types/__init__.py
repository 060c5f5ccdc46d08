"""GraphQL object, input and enum types, one module per area."""
