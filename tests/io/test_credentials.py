"""credential_ref resolution and secret hygiene (SRC-3, SRC-4, D19)."""

import logging

import pytest
from io_stand_ins import GL, Location, Source

from dobo_engine.errors import ConnectionFailure, CredentialNotFound, UnsupportedCredentialScheme
from dobo_engine.io.credentials import (
    database_url_with_credentials,
    redact_url,
    resolve_credential,
    storage_options,
)
from dobo_engine.io.postgres import PostgresLoader, connect

SECRET_PASSWORD = "Sup3r-Secret-Pa55"


def test_env_ref_resolves_at_connect_time_SRC3(monkeypatch):
    monkeypatch.setenv("DOBO_T_SECRET", "u:p")
    assert resolve_credential("env://DOBO_T_SECRET") == "u:p"
    assert resolve_credential(None) is None


def test_file_ref_reads_a_mounted_secret_SRC3(tmp_path):
    path = tmp_path / "pg"
    path.write_text("u:p\n")
    assert resolve_credential(f"file://{path}") == "u:p"


def test_missing_credential_names_the_ref_SRC3(monkeypatch, tmp_path):
    monkeypatch.delenv("DOBO_T_MISSING", raising=False)
    with pytest.raises(CredentialNotFound, match="env://DOBO_T_MISSING"):
        resolve_credential("env://DOBO_T_MISSING")
    with pytest.raises(CredentialNotFound):
        resolve_credential(f"file://{tmp_path}/none")


@pytest.mark.parametrize("ref", ["vault://kv/pg", "PG_PASSWORD", "aws-sm://x", "http://evil/x"])
def test_other_schemes_are_unsupported_SRC3(ref):
    with pytest.raises(UnsupportedCredentialScheme):
        resolve_credential(ref)


def test_database_secret_forms_SRC4():
    base = "postgresql://db.internal:5432/finance"
    assert database_url_with_credentials(base, "alice:p@ss") == "postgresql://alice:p%40ss@db.internal:5432/finance"
    assert (
        database_url_with_credentials(base, '{"user": "bob", "password": "x"}')
        == "postgresql://bob:x@db.internal:5432/finance"
    )
    assert redact_url("postgresql://bob:x@db/f") == "postgresql://***@db/f"


def test_storage_secret_is_a_json_object_SRC4():
    opts = storage_options('{"key": "k", "secret": "s", "endpoint_url": "http://127.0.0.1:9"}')
    assert opts == {"key": "k", "secret": "s", "client_kwargs": {"endpoint_url": "http://127.0.0.1:9"}}
    with pytest.raises(CredentialNotFound) as err:
        storage_options("not json s3cr3t")
    assert "s3cr3t" not in str(err.value)


def test_malformed_database_secret_is_not_echoed_SRC4():
    with pytest.raises(CredentialNotFound) as err:
        database_url_with_credentials("postgresql://h/db", SECRET_PASSWORD)
    assert SECRET_PASSWORD not in str(err.value)


def test_secret_never_in_logs_errors_or_repr_on_failed_connection_D19(monkeypatch, caplog):
    monkeypatch.setenv("DOBO_T_PG", f"dobo:{SECRET_PASSWORD}")
    caplog.set_level(logging.DEBUG)
    # A port where nothing listens: the connection fails.
    source = Source(
        "ds-wh", "database", {"connection_string": "postgresql://127.0.0.1:1/finance"}, credential_ref="env://DOBO_T_PG"
    )
    with pytest.raises(ConnectionFailure) as err:
        PostgresLoader(source).load(Location("gl", "2026-01", "ds-wh", strategy="table", table="gl"), GL)
    texts = [str(err.value), repr(err.value), repr(source), str(err.value.to_dict())]
    texts += [r.getMessage() for r in caplog.records]
    assert all(SECRET_PASSWORD not in t for t in texts)
    assert "ds-wh" in str(err.value)


def test_secret_not_in_errors_after_a_successful_connection_D19(pg_url, monkeypatch, caplog):
    monkeypatch.setenv("DOBO_T_PG", f"dobo:{SECRET_PASSWORD}")
    caplog.set_level(logging.DEBUG)
    base = pg_url.replace("dobo@", "")
    source = Source("ds-wh", "database", {"connection_string": base}, credential_ref="env://DOBO_T_PG")
    conn = connect(source)
    conn.close()
    from dobo_engine.errors import DataNotFound

    with pytest.raises(DataNotFound) as err:
        PostgresLoader(source).load(Location("gl", "2026-01", "ds-wh", strategy="table", table="nope"), GL)
    assert SECRET_PASSWORD not in str(err.value) + repr(err.value)
    assert all(SECRET_PASSWORD not in r.getMessage() for r in caplog.records)
