"""Brokers that carry execution events to every listener: in one process, or across many."""
