"""Statements that read the store; aggregation happens here, in SQL.

Every aggregating statement groups by the integer `day` and `month` buckets,
so the same SQL runs on SQLite and PostgreSQL and returns frames that grow
with periods (and, for a drill-down, with one page of customers), never
with events or subscription changes.
"""
