"""SRC-5 path safety, D34 data root, and SQL identifier checks."""

import pytest

from dobo_engine.errors import InvalidIdentifier, UnsafePath
from dobo_engine.io.paths import check_identifier, join_under_prefix, qualified_table, quote_identifier

UNSAFE = [
    "",
    "/etc/passwd",
    "../secrets.parquet",
    "gl/../../etc/passwd",
    "gl/..",
    "s3://other-bucket/x.parquet",
    "file:///etc/passwd",
    "C:/windows/x.csv",
    "gl\\..\\x.csv",
    "gl/x\x00.parquet",
    "gl//x.parquet",
    "gl/%2e%2e/x.parquet",
    "~/x.parquet",
    "gl/*.parquet",
    "./x.parquet",
]


@pytest.mark.parametrize("relative", UNSAFE)
def test_unsafe_relative_paths_are_rejected_SRC5(relative):
    with pytest.raises(UnsafePath) as err:
        join_under_prefix("s3://lake/data/", relative)
    assert "SRC-5" in str(err.value)
    assert "not a safe relative path" in err.value.message


def test_relative_path_is_joined_with_one_slash_SRC5():
    assert join_under_prefix("s3://lake/data/", "gl/2026/01.parquet") == "s3://lake/data/gl/2026/01.parquet"
    assert join_under_prefix("/srv/data", "gl.csv") == "/srv/data/gl.csv"


def test_relative_prefix_resolves_under_data_root_D34(monkeypatch, tmp_path):
    monkeypatch.setenv("DOBO_DATA_ROOT", str(tmp_path))
    assert join_under_prefix("lake", "gl.parquet") == f"{tmp_path}/lake/gl.parquet"
    assert join_under_prefix("lake/", "gl.parquet", data_root="/x") == "/x/lake/gl.parquet"


BAD_IDENTIFIERS = [
    'gl"; DROP TABLE x; --',
    "gl; DELETE FROM t",
    "public.gl",
    "1gl",
    "gl table",
    "",
    "a" * 64,
    "gl--",
    "gl'",
    "gl\x00",
]


@pytest.mark.parametrize("name", BAD_IDENTIFIERS)
def test_identifier_injection_is_rejected(name):
    with pytest.raises(InvalidIdentifier) as err:
        check_identifier(name, "table name")
    assert "table name" in err.value.message


def test_identifiers_are_quoted():
    assert quote_identifier("Order") == '"Order"'
    assert qualified_table("gl", "reporting") == '"reporting"."gl"'
    with pytest.raises(InvalidIdentifier):
        qualified_table("gl", 'x"y')
