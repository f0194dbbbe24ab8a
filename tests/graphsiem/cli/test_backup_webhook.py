"""Webhook alerts waiting when a backup is taken, delivered by the original, then restored (task OPS2 #1).

The service goes on sending the alerts its outbox held when ``graphsiem backup`` copied
``state.sqlite``; a directory restored from the copy has them waiting again and sends them
again.  A SOAR dedupes on ``X-GraphSIEM-Delivery`` (the same id: it derives from the change),
and each such resend says what it is: ``X-GraphSIEM-Possible-Duplicate: backup`` (before, the
restored service resent them exactly as new alerts, and said nothing).  The real service over
the embedded store, the real CLI, a real HTTP receiver on loopback.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from graphsiem.cli import main
from graphsiem.store import open_store
from graphsiem.webhook import DELIVERY_HEADER, POSSIBLE_DUPLICATE_HEADER
from tests.api.conftest import running_api
from tests.api.syslog_listener_thread import wait_until
from tests.api.test_webhook_durable import Receiver, _outbox, _settings


@pytest.fixture
def receiver():
    r = Receiver("fail")  # 503 until the test says otherwise: the alerts wait in the outbox
    yield r
    r.release()
    r.stop()


def test_alerts_waiting_at_the_backup_are_sent_again_after_a_restore_marked_and_under_their_ids(
        tmp_path: Path, capsys, receiver: Receiver) -> None:
    data, copy, restored = tmp_path / "data", tmp_path / "backup", tmp_path / "restored"
    store = open_store(None, data_dir=data)
    try:
        with running_api(_settings(data, receiver), store) as api:
            api.ingest_fleet()
            assert api.detect()["status"] == "done"
            waiting = [r.delivery_id for r in _outbox(api).rows("pending")]
            assert len(waiting) >= 2
            assert main(["backup", str(copy), "--data", str(data), "--json"]) == 0
            captured = capsys.readouterr()
            receiver.mode = "ok"  # the original delivers them after the backup
            assert api.ctx.webhook is not None and api.ctx.webhook.drain(60)
            wait_until(lambda: _outbox(api).rows() == [], "the original's outbox emptied")
    finally:
        store.close()
    delivered_by_original = list(receiver.answered)
    before_restore = len(receiver.requests)

    shutil.copytree(copy, restored)  # cp -a DEST into a new directory, the original stopped
    store = open_store(None, data_dir=restored)
    receiver.mode = "fail"  # for a look at the restored outbox first
    try:
        with running_api(_settings(restored, receiver), store) as api:
            listed = api.get("/v1/webhook/alerts", role="admin").json()["items"]
            receiver.mode = "ok"
            assert api.ctx.webhook is not None and api.ctx.webhook.drain(60)
            assert api.detect()["status"] == "done"  # the restored directory detects again
            assert api.ctx.webhook.drain(60)
    finally:
        store.close()

    assert json.loads(captured.out)["webhook_alerts"] == len(waiting)
    assert f"{len(waiting)} webhook alert(s) were waiting" in captured.err
    assert sorted(delivered_by_original) == sorted(waiting)
    original = receiver.requests[:before_restore]
    again = [r for r in receiver.requests[before_restore:] if r["mode"] == "ok"]
    assert sorted(item["delivery_id"] for item in listed) == sorted(waiting)
    assert all(item["in_backup_at"] is not None for item in listed)
    assert all(POSSIBLE_DUPLICATE_HEADER not in r["headers"] for r in original)
    # the restore resends exactly the alerts waiting at the backup, once each, under their ids, marked
    assert sorted(r["headers"][DELIVERY_HEADER] for r in again) == sorted(waiting)
    assert all(r["headers"][POSSIBLE_DUPLICATE_HEADER] == "backup" for r in receiver.requests[before_restore:])
    # and the resent body is the one the original sent (a receiver may compare)
    first_body = {r["headers"][DELIVERY_HEADER]: r["body"] for r in original if r["mode"] == "ok"}
    assert all(r["body"] == first_body[r["headers"][DELIVERY_HEADER]] for r in again)
