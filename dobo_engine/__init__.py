"""dobo engine: pure domain and execution, no Dagster import (architecture.md)."""

__version__ = "0.1.0"
