"""Bad data is refused by name, and nothing is written (SRC-5, DS-6, RES-8, TMP-1, SRC-2, GEN-6).

Each case damages one file of the example finance data (or one catalog
document) and runs the real `dobo` command: the command exits non-zero with
one readable paragraph naming the file, table and Period, prints no
traceback, and writes no output.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner, Result

from dobo_engine.cli.main import cli
from dobo_engine.errors import UnsafePath
from dobo_engine.io.paths import join_under_prefix

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "examples/finance/catalog"


def dobo(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def finance(dobo_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example catalog applied, its Periods generated, its data in a scratch folder (returned)."""
    data_root = tmp_path / "data-root"
    shutil.copytree(ROOT / "examples/finance/data", data_root / "examples/finance/data")
    monkeypatch.setenv("DOBO_DATA_ROOT", str(data_root))
    applied = dobo("apply", str(CATALOG))
    assert applied.exit_code == 0, applied.output
    generated = dobo("periods", "generate", "finance", "--from-year", "2025", "--to-year", "2026")
    assert generated.exit_code == 0, generated.output
    return data_root / "examples/finance/data"


def run_failed(dobo_home: Path, period: str, *words: str) -> str:
    """`dobo run prj-fx-usd` for ``period`` fails (exit 1), names every word, writes nothing, shows no traceback."""
    result = dobo("run", "prj-fx-usd", "--period", period)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    for word in words:
        assert word in result.output, (word, result.output)
    assert not (dobo_home / "outputs/prj-fx-usd" / period).exists()
    return result.output


FEBRUARY = "2026/02/transactions.parquet"
JANUARY = "2026/01/transactions.csv"


# -- SRC-5: symbolic links stay under the DataSource prefix --------------------------------------


def test_symlink_inside_the_prefix_to_a_file_outside_is_refused_SRC_5(finance, dobo_home, tmp_path):
    secret = tmp_path / "outside" / "passwd"
    secret.parent.mkdir()
    pl.read_parquet(finance / FEBRUARY).write_parquet(secret)  # readable, so only the link can stop it
    (finance / FEBRUARY).unlink()
    (finance / FEBRUARY).symlink_to(secret)
    run_failed(dobo_home, "2026-02", "UnsafePath", "transactions.parquet", "symbolic link")


def test_symlinked_folder_leading_outside_the_prefix_is_refused_for_writes_SRC_5(tmp_path):
    prefix, outside = tmp_path / "prefix", tmp_path / "elsewhere"
    prefix.mkdir()
    outside.mkdir()
    (prefix / "out").symlink_to(outside, target_is_directory=True)
    with pytest.raises(UnsafePath, match="symbolic link"):
        join_under_prefix(str(prefix), "out/new-file.parquet")  # does not exist yet: a write target


def test_symlinks_that_stay_under_the_prefix_are_followed_SRC_5(tmp_path):
    real = tmp_path / "real-prefix"
    (real / "2026").mkdir(parents=True)
    (tmp_path / "linked-prefix").symlink_to(real, target_is_directory=True)
    (real / "current").symlink_to(real / "2026", target_is_directory=True)
    joined = join_under_prefix(str(tmp_path / "linked-prefix"), "current/gl.parquet")
    assert joined == f"{tmp_path / 'linked-prefix'}/current/gl.parquet"


# -- DS-6: values the Run could not read back -------------------------------------------------


def test_date_beyond_year_9999_is_refused_at_load_naming_column_file_and_value_DS_6(finance, dobo_home):
    frame = pl.read_parquet(finance / FEBRUARY)
    far = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 0)
        .then(pl.col("posting_date").dt.offset_by("8000y"))
        .otherwise(pl.col("posting_date"))
        .alias("posting_date")
    )
    far.write_parquet(finance / FEBRUARY)
    output = run_failed(
        dobo_home, "2026-02", "SchemaMismatch", "posting_date", "transactions.parquet", "2026-02", "10026"
    )
    assert "years 1-9999" in output


def test_csv_row_missing_trailing_fields_is_refused_naming_file_and_line_DS_6(finance, dobo_home):
    path = finance / JANUARY
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[3] = ",".join(lines[3].split(",")[:-2])  # the 3rd data row loses its last two fields
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run_failed(dobo_home, "2026-01", "SchemaMismatch", "DS-6", "transactions.csv", "line 4", "2026-01")


# -- RES-8: unreadable files are named; empty files are zero rows ------------------------------


def test_truncated_parquet_is_named_with_datasource_file_table_and_period_RES_8(finance, dobo_home):
    data = (finance / FEBRUARY).read_bytes()
    (finance / FEBRUARY).write_bytes(data[: len(data) // 2])
    run_failed(
        dobo_home,
        "2026-02",
        "UnreadableData",
        "RES-8",
        "finance-parquet",
        "transactions.parquet",
        "'transactions'",
        "2026-02",
    )


def test_file_that_is_not_parquet_is_named_RES_8(finance, dobo_home):
    (finance / FEBRUARY).write_bytes(b"journal_id,line_number\nJE-1,1\n")
    run_failed(dobo_home, "2026-02", "UnreadableData", "transactions.parquet", "2026-02")


def test_parquet_with_corrupt_pages_is_named_when_its_rows_are_read_RES_8(finance, dobo_home):
    data = bytearray((finance / FEBRUARY).read_bytes())
    data[4 : len(data) // 3] = bytes(len(data) // 3 - 4)  # footer intact, first pages zeroed
    (finance / FEBRUARY).write_bytes(bytes(data))
    run_failed(
        dobo_home, "2026-02", "UnreadableData", "RES-8", "'transactions'", "'ds-gl'", "2026-02", "transactions.parquet"
    )


def test_zero_byte_parquet_is_zero_rows_like_csv_RES_8(finance, dobo_home):
    (finance / FEBRUARY).write_bytes(b"")
    result = dobo("run", "prj-fx-usd", "--period", "2026-02", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["status"] == "completed"
    out = pl.read_parquet(dobo_home / "outputs/prj-fx-usd/2026-02/operation=20.parquet")
    assert out.height == 0


def test_csv_that_is_not_utf8_is_named_with_its_line_RES_8(finance, dobo_home):
    path = finance / JANUARY
    lines = path.read_bytes().split(b"\n")
    lines[2] = lines[2].replace(b"ERP", b"\xff\xfeRP")
    path.write_bytes(b"\n".join(lines))
    run_failed(dobo_home, "2026-01", "UnreadableData", "finance-csv", "transactions.csv", "line 3", "UTF-8", "2026-01")


# -- TMP-1: rows labelled with another Period are counted, never dropped in silence --------------


def test_file_whose_rows_all_name_another_period_fails_the_run_TMP_1(finance, dobo_home):
    frame = pl.read_parquet(finance / FEBRUARY)
    frame.with_columns(pl.lit("2025-11").alias("_period")).write_parquet(finance / FEBRUARY)
    output = run_failed(dobo_home, "2026-02", "DataNotFound", "TMP-1", "transactions.parquet", "2025-11")
    assert f"{frame.height} row(s)" in output


def test_rows_naming_another_period_are_reported_as_a_warning_by_dobo_run_TMP_1(finance, dobo_home):
    frame = pl.read_parquet(finance / FEBRUARY)
    labelled = frame.with_columns(
        pl.when(pl.int_range(pl.len()) < 3).then(pl.lit("2025-07")).otherwise(pl.lit("2026-02")).alias("_period")
    )
    labelled.write_parquet(finance / FEBRUARY)
    result = dobo("run", "prj-fx-usd", "--period", "2026-02")
    assert result.exit_code == 0, result.output
    assert "warning [TMP-1]" in result.output
    assert "3 row(s)" in result.output and "2025-07" in result.output and "transactions.parquet" in result.output
    out = pl.read_parquet(dobo_home / "outputs/prj-fx-usd/2026-02/operation=20.parquet")
    assert out.height == frame.height - 3
    # kept on the Run, so it can be read after the process has gone
    (run,) = json.loads(dobo("runs", "--project", "prj-fx-usd", "--period", "2026-02", "--json").stdout)
    (warning,) = run["warnings"]
    assert warning["rule"] == "TMP-1" and "3 row(s)" in warning["message"] and "2025-07" in warning["message"]
    assert "1 warning" in dobo("runs", "--project", "prj-fx-usd").output


def test_quarter_file_rows_of_sibling_months_are_no_warning_TMP_1(finance, dobo_home):
    result = dobo("run", "prj-fx-usd", "--period", "2026-Q1")
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output


# -- SQL identifiers are refused on apply, with the writer's rule ------------------------------


def _apply_one(tmp_path: Path, folder: str, text: str) -> Result:
    catalog = tmp_path / "catalog"
    shutil.copytree(CATALOG, catalog)
    (catalog / folder / "extra.yaml").write_text(text, encoding="utf-8")
    return dobo("apply", str(catalog))


def _refused(result: Result, *words: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for word in words:
        assert word in result.output, (word, result.output)


def test_database_schema_with_sql_is_refused_on_apply_naming_the_field_SRC_1(dobo_home, tmp_path):
    result = _apply_one(
        tmp_path,
        "datasources",
        """datasource:
  id: warehouse
  name: Warehouse
  type: database
  options: { connection_string: "postgresql://db/finance", schema: "public; DROP TABLE gl" }
""",
    )
    _refused(result, "InvalidIdentifier", "extra.yaml", "datasource.options.schema", "DROP TABLE")


def test_resolver_table_template_with_sql_is_refused_on_apply_RES_7(dobo_home, tmp_path):
    result = _apply_one(
        tmp_path,
        "resolvers",
        """resolver:
  id: warehouse-tables
  name: Warehouse tables
  rules:
    - name: monthly
      data_level: month
      strategy: { type: table, datasource_id: finance-csv, table: "gl_{{YYYY}}\\"; DROP TABLE gl; --" }
""",
    )
    _refused(result, "InvalidIdentifier", "extra.yaml", "strategy.table", "RES-7")


def test_output_destination_table_with_sql_is_refused_on_apply_OP_OUT_1(dobo_home, tmp_path):
    catalog = tmp_path / "catalog"
    shutil.copytree(CATALOG, catalog)
    project = catalog / "projects/prj-fx-usd.yaml"
    text = project.read_text(encoding="utf-8")
    assert "destination: default" in text
    project.write_text(
        text.replace(
            "destination: default",
            'destination: { datasource_id: finance-parquet, table: "usd lines; DROP TABLE x", schema: "public" }',
            1,
        ),
        encoding="utf-8",
    )
    result = dobo("apply", str(catalog))
    _refused(result, "InvalidIdentifier", "prj-fx-usd.yaml", "destination.table", "OP-OUT-1")


# -- secrets never printed (SRC-3, GEN-6) ------------------------------------------------------


@pytest.mark.parametrize("as_json", [False, True])
def test_dobo_config_masks_the_password_of_the_metadata_url_GEN_6(dobo_home, monkeypatch, as_json):
    monkeypatch.setenv("DOBO_METADATA_URL", "postgresql+psycopg2://dobo:Sup3r%40Secret@db.internal:5432/dobo")
    result = dobo("config", *(["--json"] if as_json else []))
    assert result.exit_code == 0, result.output
    assert "Sup3r" not in result.output
    assert "postgresql+psycopg2://dobo:***@db.internal:5432/dobo" in result.output


def test_settings_masking_covers_secret_named_keys_and_keeps_the_rest_SRC_2():
    from dobo_engine.io.credentials import mask_secrets

    masked = mask_secrets(
        {"api_token": "abc123", "home": "/srv/dobo", "nested": {"password": "p"}, "url": "s3://bucket/prefix"}
    )
    assert masked == {
        "api_token": "***",
        "home": "/srv/dobo",
        "nested": {"password": "***"},
        "url": "s3://bucket/prefix",
    }
