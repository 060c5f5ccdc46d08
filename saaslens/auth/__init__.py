"""Who is asking and what they may do: sessions, passwords, roles, throttling, API tokens."""
