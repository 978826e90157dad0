"""Ingestion tests keep uploaded files in a temporary media folder."""
import pytest


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path_factory):
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")


# Measurement tests and the collection monitor (issue 5): the Billing measurement fixture.
from .quality_fixtures import billing  # noqa: E402, F401
