"""Validation of a whole Project against concrete Dataset schemas, without data (validation.md).

Public API:

- ``validate_project(project, catalog, *, dataset_version=None, purpose="activation", pinned_versions=None)
  -> ValidationReport`` (``failures`` sorted per validation.md §3, ``warnings``, ``ok``).
- ``ActivationError``: the ``ValidationFailed`` error carrying a failed report
  (``report.raise_for_failures()`` raises it).
"""

from __future__ import annotations

from dobo_engine.validation.project import PURPOSES, validate_project
from dobo_engine.validation.report import ActivationError, ValidationReport

__all__ = ["PURPOSES", "ActivationError", "ValidationReport", "validate_project"]
