"""Services: run analyses against the store and hand back shaped, cached results.

This layer joins the two below it: `data` builds and runs the statements,
`analytics` computes on the frames they return. Resolvers and the automation
module call it; it imports neither, nor any GraphQL code, so the import
direction stays schema -> resolvers -> services/automation -> analytics -> data.
"""
