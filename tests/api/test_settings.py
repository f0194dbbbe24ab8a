"""``graphsiem.settings.Settings``: environment, validation, nothing read at import."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from graphsiem.settings import Settings


def test_reads_prefixed_environment_when_built(monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: Path) -> None:
    monkeypatch.setenv("GRAPHSIEM_DATA", str(tmp_path))
    monkeypatch.setenv("GRAPHSIEM_MAX_BATCH_RECORDS", "7")
    monkeypatch.setenv("GRAPHSIEM_DETECT_INTERVAL_S", "60")
    settings = Settings()
    assert settings.data_dir == tmp_path and settings.state_path == tmp_path / "state.sqlite"
    assert settings.max_batch_records == 7 and settings.detect_interval_s == 60


def test_empty_optional_secrets_from_compose_mean_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GRAPHSIEM_WEBHOOK_URL", "GRAPHSIEM_WEBHOOK_SECRET",
                 "GRAPHSIEM_BOOTSTRAP_ADMIN_KEY"):
        monkeypatch.setenv(name, "")
    settings = Settings()
    assert settings.webhook_url is None and settings.webhook_secret is None
    assert settings.bootstrap_admin_key is None


@pytest.mark.parametrize(("values", "field"), [
    ({"port": 70000}, "port"),
    ({"max_batch_records": 0}, "max_batch_records"),
    ({"page_size_default": 900, "page_size_max": 100}, "page_size_default"),
    ({"webhook_url": "http://127.0.0.1/x"}, "webhook_secret"),
    ({"webhook_url": "gopher://x", "webhook_secret": "s"}, "webhook_url"),
    ({"bootstrap_admin_key": "short"}, "bootstrap_admin_key"),
    ({"webhook_min_score": 101}, "webhook_min_score"),
])
def test_invalid_values_are_refused_naming_the_field(values: dict, field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        Settings(**values)


def test_secrets_do_not_show_in_repr() -> None:
    settings = Settings(bootstrap_admin_key="a-very-secret-admin-key", webhook_secret="s3cr3t-hook-value",
                        webhook_url="https://soar.example/hook")
    assert "a-very-secret-admin-key" not in repr(settings) and "s3cr3t-hook-value" not in repr(settings)
