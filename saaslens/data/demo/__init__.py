"""Demo data: a deterministic, realistic SaaS business for trying saaslens out."""

from saaslens.data.demo.business import Batch, Business, Scenario, simulate

__all__ = ["Batch", "Business", "Scenario", "simulate"]
