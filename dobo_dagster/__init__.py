"""dobo as a Dagster code location (filled in by the Dagster integration)."""

__all__: list[str] = []
