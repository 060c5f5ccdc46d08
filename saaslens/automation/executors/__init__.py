"""Sandboxes that run one script each: a subprocess, or a Docker container."""
