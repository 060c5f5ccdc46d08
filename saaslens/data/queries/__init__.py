"""Statements that read the store; aggregation happens here, in SQL."""
