"""saaslens: a GraphQL analytics API a SaaS business runs on its own data."""
