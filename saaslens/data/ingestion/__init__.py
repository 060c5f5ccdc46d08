"""Ingestion of the business's records: validated batches, written atomically."""

from saaslens.data.ingestion.batches import IngestionReport, RowError, apply_batch, ingest
from saaslens.data.ingestion.records import Kind

__all__ = ["IngestionReport", "Kind", "RowError", "apply_batch", "ingest"]
