"""`dobo apply`: validate a whole catalog folder, then write all of it or nothing (D18, D28).

Every document is parsed and checked first (shape, references in any order,
stale system fields, default flags, Periods); all errors of all files are
raised together as one :class:`DoboErrors`. Only then is everything written
in the same store transaction that the checks read from, so a failed apply
leaves the store exactly as it was.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from dobo_engine.catalog.apply_hooks import analyse_new_versions, settle_projects
from dobo_engine.catalog.apply_rules import check_all
from dobo_engine.catalog.apply_view import INITIAL_STATUS, ApplyView, stored_content
from dobo_engine.catalog.catalog_files import Authored, read_catalog
from dobo_engine.catalog.references import check_references, project_warnings
from dobo_engine.errors import DoboError, DoboErrors, DuplicateEntity
from dobo_engine.lifecycle.impact import Impact
from dobo_engine.model.calendar import Calendar, Period
from dobo_engine.model.common import LoadWarning
from dobo_engine.model.documents import authored_content
from dobo_engine.store.api import MetadataStore, Transaction
from dobo_engine.store.records import PutResult, StoredEntity

# Written in this order so that a reader of a half-written store (there is none:
# one transaction) would never see a reference before its target.
WRITE_ORDER = ("datasource", "resolver", "calendar", "dataset", "project", "period")


@dataclass(frozen=True)
class EntityResult:
    kind: str
    id: str
    version: int
    outcome: str  # created | updated | unchanged
    file: str
    status: str | None = None
    changes: list[str] = field(default_factory=list)  # status / default moves that made no new version


@dataclass
class ApplyReport:
    entities: list[EntityResult] = field(default_factory=list)
    warnings: list[LoadWarning] = field(default_factory=list)
    impacts: list[Impact] = field(default_factory=list)  # what new Dataset versions did to Projects (DS-8)

    def count(self, outcome: str) -> int:
        return sum(1 for e in self.entities if e.outcome == outcome)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": True,
            "entities": [asdict(e) for e in self.entities],
            "warnings": [
                {
                    "rule": w.rule,
                    "message": w.message,
                    "file": w.location.file,
                    "path": w.location.path,
                    "line": w.location.line,
                }
                for w in self.warnings
            ],
            "impacts": [asdict(i) for i in self.impacts],
            "summary": {o: self.count(o) for o in ("created", "updated", "unchanged")},
        }


class InvalidCatalog(DoboErrors):
    """Every error of a refused apply. All are bad input (exit 2): the fix is in a catalog
    file, even for codes that elsewhere mean a failed check (DuplicateOperationOrder)."""

    @property
    def exit_code(self) -> int:
        return 2


def _sorted(errors: list[DoboError]) -> list[DoboError]:
    return sorted(errors, key=lambda e: (e.location.file or "", e.location.line or 0, e.location.column or 0))


def apply_catalog(store: MetadataStore, folder: str | Path) -> ApplyReport:
    """Validate and write a catalog folder; raise DoboErrors with every problem, writing nothing."""
    read = read_catalog(folder)
    errors = list(read.errors)
    with store.transaction() as tx:
        view = ApplyView(read.items, tx, read.broken)
        # An unreadable file hides which ids it defines: cross-entity checks would only add noise.
        if not read.unreadable:
            errors += check_all(view)
            if not any(isinstance(e, DuplicateEntity) for e in errors):
                errors += check_references(view)
        if errors:
            raise InvalidCatalog(_sorted(errors))
        report = ApplyReport()
        for item in read.items:
            report.warnings += item.entity.load_warnings
            if item.kind == "project":
                report.warnings += project_warnings(view, item)
        _write(tx, view, report)
    return report


def _write(tx: Transaction, view: ApplyView, report: ApplyReport) -> None:
    items = sorted(view.items, key=lambda i: WRITE_ORDER.index(i.kind))
    pending: list[tuple[Authored, str]] = []  # Calendar status moves, made after its Periods (D33)
    projects: list[tuple[Authored, StoredEntity | None, PutResult]] = []
    results: dict[int, EntityResult] = {}
    for item in items:
        if isinstance(item.entity, Period):
            put = tx.put_period(authored_content(item.entity))
            status: str | None = tx.get_period(item.entity.calendar_id, item.entity.identifier).status
            results[id(item)] = EntityResult("period", item.key, put.version, put.outcome, item.file, status)
            continue
        record = view.stored(item.kind, item.key)
        put = tx.put_entity(item.kind, item.key, stored_content(item.entity), status=INITIAL_STATUS[item.kind])
        status = record.status if record else INITIAL_STATUS[item.kind]
        changes = _default_flag(tx, item, record.is_default if record else False)
        declared = item.entity.status if isinstance(item.entity, Calendar) else None
        if declared is not None and declared != status:
            changes.append(f"status {status} → {declared}")
            pending.append((item, declared))
            status = declared
        if item.kind == "project":
            projects.append((item, record, put))
        results[id(item)] = EntityResult(item.kind, item.key, put.version, put.outcome, item.file, status, changes)
    for item, target in pending:
        tx.set_status("calendar", item.key, target)
    # Project moves last: one apply can make a Calendar active and activate a Project on it (D33, D22).
    settled, errors = settle_projects(tx, projects)
    if errors:
        raise InvalidCatalog(_sorted(errors))  # rolls the whole apply back (D28)
    for item, _, _ in projects:
        done = settled[item.key]
        results[id(item)].changes.extend(done.changes)
        results[id(item)] = replace(results[id(item)], status=done.status)
    renewed = [i.key for i in items if i.kind == "dataset" and results[id(i)].outcome == "updated"]
    report.impacts += [impact for found in analyse_new_versions(tx, renewed).values() for impact in found]
    # Report in the order the catalog was read, which is the order the user sees files in.
    report.entities += [_settled(results[id(item)]) for item in view.items]


def _settled(result: EntityResult) -> EntityResult:
    """A status or default move without a new version still changed the store: `updated`."""
    if result.outcome == "unchanged" and result.changes:
        return replace(result, outcome="updated")
    return result


def _default_flag(tx: Transaction, item: Authored, was_default: bool) -> list[str]:
    """Move or clear the default flag (CAL-1, RES-10, D31); omitted means unchanged."""
    wanted = getattr(item.entity, "is_default", None)
    if wanted is True and not was_default:
        tx.set_default(item.kind, item.key)
        return ["is_default set"]
    # A Calendar's flag is only ever moved by another claim (checked: DefaultRequired).
    if wanted is False and was_default and item.kind == "resolver":
        tx.clear_default(item.kind, item.key)
        return ["is_default cleared"]
    return []
