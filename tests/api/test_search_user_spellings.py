r"""A user is found by its NetBIOS-domain, DNS-domain, UPN and bare spellings, on both stores (F25).

Before, a Kerberos user keyed ``pandalab.com\stevie.marie`` was not found by
``PANDALAB\stevie.marie`` nor ``stevie.marie@pandalab.com``, and
``simulandlabs\wardog`` not by ``wardog@simulandlabs.com`` (review T5, item 6c).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from graphsiem.model import Entity
from tests.api.conftest import make_settings, running_api

USERS = ["pandalab.com\\stevie.marie", "simulandlabs\\wardog", "workstation5\\wardog", "root",
         "ad.contoso.com\\alice", "theshire\\pgustavo"]


@pytest.fixture
def users_api(store: Any, tmp_path: Path) -> Any:
    store.clear()
    # a process whose value starts with the account name: a prefix hit of the plain text search
    store.upsert_entities([Entity("process", "p1", "wardog.exe", {}), *(Entity("user", u, u) for u in USERS)])
    store.flush()
    settings = make_settings(tmp_path / "data", realm_domains={"ad.contoso.com": "contoso"})
    with running_api(settings, store) as running:
        yield running


def _search(api: Any, q: str) -> list[tuple[str, str, str]]:
    answer = api.get("/v1/entities", role="analyst", params={"q": q}).json()
    return [(hit["type"], hit["key"], hit["matched"]) for hit in answer["items"]]


@pytest.mark.parametrize("q", ["PANDALAB\\stevie.marie", "stevie.marie@pandalab.com", "Stevie.Marie@PandaLab.com."])
def test_the_netbios_and_upn_spellings_find_a_realm_user(users_api: Any, q: str) -> None:
    assert _search(users_api, q) == [("user", "pandalab.com\\stevie.marie", "account")]


def test_a_upn_finds_the_account_in_its_domain_only(users_api: Any) -> None:
    assert _search(users_api, "wardog@simulandlabs.com") == [("user", "simulandlabs\\wardog", "account")]
    assert _search(users_api, "PANDALAB\\root") == []  # a domain spelling is no user without a domain


def test_the_operator_realm_map_names_a_domain_whose_label_differs(users_api: Any) -> None:
    assert _search(users_api, "CONTOSO\\alice") == [("user", "ad.contoso.com\\alice", "account")]


def test_the_bare_account_lists_its_users_first(users_api: Any) -> None:
    rows = _search(users_api, "wardog")
    assert {row[1] for row in rows[:2]} == {"simulandlabs\\wardog", "workstation5\\wardog"}
    assert rows[2] == ("process", "p1", "value")


def test_the_lookup_resolves_one_spelling_and_lists_several(users_api: Any) -> None:
    netbios = quote("PANDALAB\\stevie.marie")
    response = users_api.get(f"/v1/entities/user/{netbios}", role="analyst")
    assert response.status_code == 200, response.text
    assert response.json()["key"] == "pandalab.com\\stevie.marie"
    upn = users_api.get("/v1/entities/user/wardog@simulandlabs.com", role="analyst")
    assert upn.status_code == 200 and upn.json()["key"] == "simulandlabs\\wardog"
    both = users_api.get("/v1/entities/user/wardog", role="analyst")
    assert both.status_code == 409, both.text
    assert {d["key"] for d in both.json()["error"]["details"]} == {"simulandlabs\\wardog", "workstation5\\wardog"}
    assert users_api.get("/v1/entities/user/nobody@pandalab.com", role="analyst").status_code == 404
