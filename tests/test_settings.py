"""D24: deployment locations come from the environment with defaults under $DOBO_HOME."""

from dobo_engine.settings import Settings


def test_defaults_live_under_dobo_home_D24(tmp_path):
    settings = Settings.from_env({"DOBO_HOME": str(tmp_path)})
    assert settings.metadata_url == f"sqlite:///{tmp_path}/metadata.db"
    assert settings.trace_root == f"{tmp_path}/trace"
    assert settings.checkpoint_root == f"{tmp_path}/checkpoints"


def test_each_location_can_be_a_uri_D24(tmp_path):
    settings = Settings.from_env({"DOBO_HOME": str(tmp_path), "DOBO_TRACE_ROOT": "s3://bucket/trace"})
    assert settings.trace_root == "s3://bucket/trace"


def test_the_run_lease_defaults_to_30_seconds_and_must_be_positive(tmp_path):
    import pytest

    from dobo_engine.errors import InvalidField

    assert Settings.from_env({"DOBO_HOME": str(tmp_path)}).run_lease_seconds == 30.0
    assert Settings.from_env({"DOBO_HOME": str(tmp_path), "DOBO_RUN_LEASE_SECONDS": "2.5"}).run_lease_seconds == 2.5
    with pytest.raises(InvalidField, match="DOBO_RUN_LEASE_SECONDS"):
        Settings.from_env({"DOBO_HOME": str(tmp_path), "DOBO_RUN_LEASE_SECONDS": "soon"})
