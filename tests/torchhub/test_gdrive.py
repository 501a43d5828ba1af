"""Google Drive links: recognised in every spelling gdown takes, models only when downloaded."""

from __future__ import annotations

import pytest

from ptmlock.gdrive import file_id
from ptmlock.scan.urls import model_url

CANONICAL = "https://drive.google.com/uc?id=1AbCdEfGhIjKlMnOp&export=download"


@pytest.mark.parametrize(
    ("url", "drive_id"),
    [
        ("https://drive.google.com/file/d/1AbCdEfGhIjKlMnOp/view?usp=sharing", "1AbCdEfGhIjKlMnOp"),
        ("https://drive.google.com/uc?id=1AbCdEfGhIjKlMnOp", "1AbCdEfGhIjKlMnOp"),
        ("https://drive.google.com/open?id=1AbCdEfGhIjKlMnOp", "1AbCdEfGhIjKlMnOp"),
        ("https://drive.usercontent.google.com/download?id=1AbCdEfGhIjKlMnOp", "1AbCdEfGhIjKlMnOp"),
        ("https://drive.google.com/drive/folders/1AbCdEfGhIjKlMnOp", None),
        ("https://example.com/uc?id=1AbCdEfGhIjKlMnOp", None),
        ("https://drive.google.com/uc?id=x", None),
    ],
)
def test_file_id(url: str, drive_id: str | None) -> None:
    assert file_id(url) == drive_id


def test_a_drive_link_is_a_model_only_in_a_download_call() -> None:
    link = "https://drive.google.com/file/d/1AbCdEfGhIjKlMnOp/view"
    found = model_url(link, downloaded=True)
    assert found is not None and (found.hub, found.model) == ("url", CANONICAL)
    assert model_url(link) is None  # a link in a README is a document, not a model
