"""Ingestion tests keep uploaded files in a temporary media folder."""
import pytest


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path_factory):
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")
