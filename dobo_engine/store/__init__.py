"""The metadata store (D18): entities and their versions, Periods, Runs.

``open_store()`` gives a :class:`MetadataStore` on the SQLite file under
``$DOBO_HOME`` or on ``DOBO_METADATA_URL`` (PostgreSQL), migrated to the
newest schema and seeded with the default Calendar.
"""

from dobo_engine.store.api import MetadataStore, StoreAPI, Transaction, open_store
from dobo_engine.store.records import PeriodRecord, PutResult, RegisteredLocation, RunRecord, StoredEntity
from dobo_engine.store.seed import GREGORIAN

__all__ = [
    "GREGORIAN",
    "MetadataStore",
    "PeriodRecord",
    "PutResult",
    "RegisteredLocation",
    "RunRecord",
    "StoreAPI",
    "StoredEntity",
    "Transaction",
    "open_store",
]
