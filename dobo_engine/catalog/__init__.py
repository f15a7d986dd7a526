"""Catalog apply (D18, D28): a YAML catalog folder checked as a whole and written to the store.

Sits above ``store`` (where the entities are kept) and ``lifecycle`` (which
Project moves an apply performs): ``catalog_files`` reads the folder,
``apply_view`` is the apply seen together with the store, ``apply_rules``
and ``references`` check it, ``apply_hooks`` settles Project lifecycles and
``apply`` writes all of it or nothing.
"""

from dobo_engine.catalog.apply import apply_catalog

__all__ = ["apply_catalog"]
