"""Statistics on plain values: each function returns its numbers and a reading.

Nothing here touches the database or GraphQL; callers pass pandas Series
indexed by period, arrays or frames, and bad input raises InvalidInput.
"""
