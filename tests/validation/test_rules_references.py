"""VAL-006/007 (Resolvers), VAL-008 (join/append Datasets), VAL-017 (outputs), VAL-018 (Project level)."""

from __future__ import annotations

from dobo_engine.model.documents import parse_text
from dobo_engine.validation import validate_project
from tests.validation.helpers import FX_JOIN, body, catalog, finance_datasets, kinds, only, output, project, update

APPEND = {
    "order": 3,
    "type": "append",
    "parameters": {
        "source": {"dataset_id": "ds-budgets"},
        "aggregation": {
            "group_by": ["account_code", "cost_center_code", "currency"],
            "aggregations": [{"column": "amount_local", "expression": "SUM(amount)"}],
        },
    },
}


def datasets_with(dataset_id: str, **update_fields):
    return [d.model_copy(update=update_fields) if d.id == dataset_id else d for d in finance_datasets()]


def resolver(resolver_id: str, *, status: str | None = None, is_default: bool = False):
    (entity,) = parse_text(f"""
resolver:
  id: {resolver_id}
  name: {resolver_id}
  is_default: {str(is_default).lower()}
  rules: [{{ name: all, data_level: any, strategy: {{ type: path, datasource_id: finance-parquet, path: x.parquet }} }}]
""")
    return entity.model_copy(update={"status": status}) if status else entity


def test_VAL_006_resolver_not_found_for_join_dataset():
    cat = catalog(datasets=datasets_with("ds-fx", resolver_id="gone"))
    report = validate_project(project(update(2, ("amount_reporting", "fx.rate"), joins=[FX_JOIN])), cat)
    failure = only(report)
    assert (failure.rule, failure.type, failure.operation_order) == ("VAL-006", "ResolverNotFound", 2)
    assert "gone" in failure.detail and failure.path == "operations[order=2].parameters.joins[0].dataset_id"


def test_VAL_006_precedence_override_then_dataset_then_default():
    no_resolver = datasets_with("ds-gl", resolver_id=None)
    prj = project(update(1, ("a", "1")))
    assert kinds(validate_project(prj, catalog(datasets=no_resolver))) == [("VAL-006", "ResolverNotFound", None)]
    assert validate_project(prj, catalog(resolver("fallback", is_default=True), datasets=no_resolver)).ok
    overridden = project(update(1, ("a", "1")), resolver_overrides={"ds-gl": "missing-resolver"})
    failure = only(validate_project(overridden, catalog()))
    assert failure.type == "ResolverNotFound" and "missing-resolver" in failure.detail


def test_VAL_006_dobo_registered_counts_as_available():
    cat = catalog(datasets=datasets_with("ds-gl", resolver_id="dobo-registered"))
    assert validate_project(project(update(1, ("a", "1"))), cat).ok


def test_VAL_007_resolver_disabled():
    cat = catalog(resolver("off", status="disabled"), datasets=datasets_with("ds-budgets", resolver_id="off"))
    failure = only(validate_project(project(APPEND), cat))
    assert (failure.rule, failure.type, failure.operation_order) == ("VAL-007", "ResolverDisabled", 3)
    assert "'off'" in failure.detail and "ds-budgets" in failure.detail


def test_VAL_008_join_and_append_datasets_exist_and_are_active():
    cat = catalog(datasets=datasets_with("ds-budgets", status="disabled"))
    missing = {**FX_JOIN, "dataset_id": "ds-nope"}
    pinned = {
        **FX_JOIN,
        "alias": "fx2",
        "dataset_version": 9,
        "on": 'transactions.currency = fx2.from_currency AND fx2.to_currency = "USD" AND fx2.rate_type = "closing"',
    }
    report = validate_project(project(update(1, ("amount_reporting", "fx.rate"), joins=[missing, pinned]), APPEND), cat)
    assert kinds(report) == [("VAL-008", "UnresolvedDatasetRef", 1)] * 2 + [("VAL-008", "UnresolvedDatasetRef", 3)]
    assert "ds-nope" in report.failures[0].detail
    assert "ds-fx version 9" in report.failures[1].detail
    assert "ds-budgets" in report.failures[2].detail and "disabled" in report.failures[2].detail


def test_VAL_008_run_skips_the_active_check_for_pinned_versions():
    cat = catalog(datasets=datasets_with("ds-budgets", status="disabled"))
    prj = project(APPEND)
    assert validate_project(prj, cat, purpose="run", pinned_versions={"ds-budgets": 1}).ok
    assert not validate_project(prj, cat, purpose="run").ok


def test_VAL_017_invalid_destination():
    report = validate_project(
        body(
            output(1, destination={"datasource_id": "nowhere", "path": "x.parquet"}),
            output(2, destination={"datasource_id": "finance-parquet", "table": "gl_usd"}),
            output(3, destination={"datasource_id": "finance-parquet"}),
            output(4, destination={"datasource_id": "finance-csv", "path": "out/{{YYYY}}.csv"}),
        ),
        catalog(),
    )
    assert kinds(report) == [("VAL-017", "InvalidDestination", o) for o in (1, 2, 3)]
    assert "nowhere" in report.failures[0].detail
    assert "database" in report.failures[1].detail
    assert "exactly one" in report.failures[2].detail


def test_VAL_017_invalid_registration():
    report = validate_project(
        project(
            output(1, register_as_dataset="ds-gl"),
            output(2, register_as_dataset="gl-usd", columns=["journal_id", "amount_local"]),
            output(3, register_as_dataset="gl-usd"),
        ),
        catalog(),
    )
    assert kinds(report) == [("VAL-017", "InvalidRegistration", o) for o in (1, 2, 3)]
    assert "input Dataset" in report.failures[0].detail
    assert "_period" in report.failures[1].detail
    assert "order 2" in report.failures[2].detail


def test_VAL_018_project_not_draft_only_on_activation():
    prj = project(update(1, ("a", "1"))).model_copy(update={"status": "active"})
    assert kinds(validate_project(prj, catalog())) == [("VAL-018", "ProjectNotDraft", None)]
    assert validate_project(prj, catalog(), purpose="run").ok
    assert validate_project(prj, catalog(), purpose="check").ok
    assert (
        validate_project(project(update(1, ("a", "1"))), catalog(), status="active").failures[0].type
        == "ProjectNotDraft"
    )


def test_VAL_018_empty_pipeline():
    failure = only(validate_project(project(), catalog()))
    assert (failure.rule, failure.type, failure.operation_order) == ("VAL-018", "EmptyPipeline", None)


def test_VAL_018_input_dataset_and_version_exist_and_are_active():
    missing = only(validate_project(project(update(1, ("a", "1")), input_dataset_id="ds-gone"), catalog()))
    assert (missing.rule, missing.type) == ("VAL-018", "UnresolvedDatasetRef") and "ds-gone" in missing.detail
    version = only(validate_project(project(update(1, ("a", "amount_local"))), catalog(), dataset_version=4))
    assert "ds-gl version 4" in version.detail
    disabled = catalog(datasets=datasets_with("ds-gl", status="disabled"))
    prj = project(update(1, ("a", "amount_local")), input_dataset_version=1)
    assert kinds(validate_project(prj, disabled)) == [("VAL-018", "UnresolvedDatasetRef", None)]
    assert validate_project(prj, disabled, purpose="run").ok  # V-1: a pinned input keeps running (DS-4)


def test_missing_input_dataset_causes_no_cascade():
    report = validate_project(
        project(
            update(1, ("a", "amount_local * 2")),
            update(2, ("b", "a + nothing")),
            output(3, columns=["a", "b", "whatever"]),
            input_dataset_id="ds-gone",
        ),
        catalog(),
    )
    assert kinds(report) == [("VAL-018", "UnresolvedDatasetRef", None)]
