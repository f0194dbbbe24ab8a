"""A campaign that adds four hosts a day is young and spreading, and forms a candidate (task F17).

"New" is fleet-wide over one window: a campaign on four new hosts a day for five days
was never new (its earlier days' hosts saw it before the window), its behaviours were
old, and its members failed the rare-outside test against all-time hosts: it formed
no cluster at all (review S3, s2_lowslow).  The second horizon (:mod:`analytics.novelty`):
an entity the fleet established within ``young_hours`` (and a day after its data begin)
that at least ``min_hosts`` hosts first saw inside the window counts as new, its lineage
and behaviours since the horizon's start.  Software installed daily for longer than the
horizon stays old, and a young rollout with no behaviours stays below the attacks.
"""

from __future__ import annotations

import numpy as np
import pytest

from analytics.clusters import fan_out_clusters
from analytics.config import ConfigError, DetectionConfig
from analytics.entity_stats import Window, entity_stats
from analytics.evaluate import match
from analytics.features import FeatureContext, cluster_features
from analytics.incidence import build_incidence
from graphsiem.model import Sighting
from graphsiem.simulator import DEFAULT_SCENARIOS
from graphsiem.store.base import EntityPrevalence
from tests.analytics.cradle_steps import cradle_steps
from tests.analytics.simulated import simulated_detection

HOUR = 3600.0
DAY = 86400.0
START = 10 * DAY
WINDOW = Window(START, START + DAY)
FLEET = [f"ws-{i:03d}" for i in range(40)]
DOMAIN = ("domain", "img-cache-cdn.example")
URL = ("url", "http://img-cache-cdn.example/i/logo.png")
CRADLE = ("process", "powershell.exe -nop -w hidden -enc SQBFAFgA")


def _spreading(key, days_before: list[float], *, new_hosts: int = 4, per_day: int = 4):
    """Sightings and prevalence of ``key``: ``per_day`` hosts on each of ``days_before`` (days
    before the window), then ``new_hosts`` other hosts inside it (each host once)."""
    firsts = [START - d * DAY + 10 * HOUR + i * 60 for d in days_before for i in range(per_day)]
    window_firsts = [START + 10 * HOUR + i * 60 for i in range(new_hosts)]
    hosts = FLEET[len(firsts) : len(firsts) + new_hosts]
    sightings = [Sighting(h, key, t, t, 1) for h, t in zip(hosts, window_firsts, strict=True)]
    everything = sorted(firsts + window_firsts)
    row = EntityPrevalence(key, key[1], len(everything), everything[0], everything[-1], len(everything),
                           tuple(everything))
    return sightings, row


def _stats(keys_days: dict, *, data_begin: float = 0.0, young_hours: float = 168.0, new_hosts: int = 4):
    """Stats of the window over a fleet whose data begin at ``data_begin`` (every host runs svchost)."""
    sightings = [Sighting(h, ("process", "svchost.exe -k netsvcs"), data_begin, START + 12 * HOUR, 9) for h in FLEET]
    prevalence = []
    for key, days in keys_days.items():
        s, row = _spreading(key, days, new_hosts=new_hosts)
        sightings += s
        prevalence.append(row)
    incidence = build_incidence(sightings)
    stats = entity_stats(incidence, prevalence, window=WINDOW, n_hosts=len(FLEET), novelty_hosts=3,
                         young_hours=young_hours)
    return incidence, stats


def test_a_campaign_adding_four_hosts_a_day_is_young_and_spreading():
    incidence, stats = _stats({DOMAIN: [4, 3, 2, 1]})
    j = incidence.column_index()[DOMAIN]
    assert not stats.is_new[j]  # 16 hosts saw it before the window: not new in it
    assert stats.is_young[j] and stats.is_novel[j]
    assert stats.young_from == pytest.approx(START - 7 * DAY)
    assert stats.novel_since(j) == stats.young_from  # its behaviours count since the horizon began


def test_long_standing_software_installed_every_day_stays_old():
    # re-imaged hosts install it daily, and have for longer than the week's horizon
    incidence, stats = _stats({DOMAIN: list(range(9, 0, -1))})
    j = incidence.column_index()[DOMAIN]
    assert not stats.is_young[j] and not stats.is_novel[j]


def test_nothing_is_young_when_the_store_holds_a_day_before_the_window():
    # a two-day store: what hosts did on the first day is as old as the data, not young
    incidence, stats = _stats({DOMAIN: [0.5]}, data_begin=START - DAY + 300)
    assert not stats.is_novel[incidence.column_index()[DOMAIN]]


def test_fewer_than_min_hosts_new_hosts_is_not_spreading():
    incidence, stats = _stats({DOMAIN: [3, 2, 1]}, new_hosts=2)
    assert not stats.is_novel[incidence.column_index()[DOMAIN]]


def test_young_hours_zero_turns_the_horizon_off():
    incidence, stats = _stats({DOMAIN: [4, 3, 2, 1]}, young_hours=0.0)
    assert not stats.is_novel[incidence.column_index()[DOMAIN]]
    with pytest.raises(ConfigError, match="young_hours"):
        DetectionConfig(young_hours=-1)
    assert DetectionConfig.from_dict({"young_hours": 72}).young_hours == 72


def test_a_young_pivot_keeps_its_young_members_and_their_behaviours():
    incidence, stats = _stats({DOMAIN: [4, 3, 2, 1], URL: [4, 3, 2, 1], CRADLE: [4, 3, 2, 1]})
    clusters = fan_out_clusters(incidence, stats, min_hosts=3)
    assert len(clusters) == 1
    cluster = clusters[0]
    members = {incidence.entities[j] for j in cluster.members}
    # all-time, 4 of each member's 20 hosts are the cluster's: "rare outside" is asked of the window
    assert members == {DOMAIN, URL, CRADLE}
    # the cradle first opened LSASS on the campaign's first day, four days before the window
    context = FeatureContext(incidence, stats, behaviours={CRADLE: {"lsass_access": START - 4 * DAY + 10 * HOUR}},
                             encoded=frozenset({CRADLE}))
    facts = cluster_features(context, cluster.pivot, cluster.members, cluster.hosts)
    assert facts.features["lsass_access"] == 1.0
    assert facts.features["encoded_command"] == 1.0
    assert facts.features["download_from_new_domain"] == 1.0
    assert set(facts.new_members) == {DOMAIN, URL, CRADLE}
    # a behaviour from before the horizon is the fleet's history, not the campaign's
    context = FeatureContext(incidence, stats, behaviours={CRADLE: {"lsass_access": START - 8 * DAY}})
    assert cluster_features(context, cluster.pivot, cluster.members, cluster.hosts).features["lsass_access"] == 0.0


def _daily(name: str, kind: str, label: str, steps: str, pivot: str, days: range) -> list[str]:
    return [
        f"name: {name}_d{i}\nlabel: {label} (day {i})\nkind: {kind}\n"
        f"hosts: {{group: workstations, count: 4}}\npivot: {pivot}\nactivities:\n"
        f"  - schedule: {{every: once, day: {day}, at: \"09:00\", spread_minutes: 480}}\n    steps:\n{steps}"
        for i, day in enumerate(days, 1)
    ]


LOWSLOW_STEPS = cradle_steps("http://img-cache-cdn.example/i/logo.png")

ROLLOUT_STEPS = r"""      - {action: process, parent: services, user: system, image: 'C:\Program Files\CorpIT\Deploy\DeployAgent.exe', command_line: '"C:\Program Files\CorpIT\Deploy\DeployAgent.exe" --job greenshot-1.3', indicator: false}
      - {action: download, url: 'http://sccm.corp.example/packages/Greenshot-1.3.msi', content: Greenshot-1.3.msi, size: 3000000, user_agent: 'CorpDeployAgent/3.1', save_to: 'C:\ProgramData\CorpIT\Deploy\cache\Greenshot-1.3.msi'}
      - {action: process, user: system, image: 'C:\Windows\System32\msiexec.exe', command_line: 'msiexec.exe /i "C:\ProgramData\CorpIT\Deploy\cache\Greenshot-1.3.msi" /qn'}
"""


@pytest.fixture(scope="module")
def six_days(tmp_path_factory):
    root = tmp_path_factory.mktemp("low-and-slow")
    texts = _daily("lowslow", "attack", "PNG cradle, four hosts a day", LOWSLOW_STEPS,
                   "{type: domain, value: img-cache-cdn.example}", range(-5, 0))
    texts += _daily("slowroll", "benign", "Greenshot pushed to four workstations a day", ROLLOUT_STEPS,
                    "{type: file}", range(-5, 0))
    paths = []
    for i, text in enumerate(texts):
        path = root / f"scenario_{i}.yaml"
        path.write_text(text, encoding="utf-8")
        paths.append(str(path))
    return simulated_detection(root / "fleet", hosts=120, days=6, seed=7, density=0.2,
                               scenarios=list(DEFAULT_SCENARIOS) + paths)


def test_low_and_slow_campaign_forms_a_candidate_with_its_behaviours(six_days):
    result, _ = six_days
    found = [c for c in result.clusters if c.pivot.value == "img-cache-cdn.example"]
    assert found, [c.pivot.value for c in result.clusters]
    campaign = found[0]
    assert len(campaign.hosts) == 4  # today's new hosts
    for behaviour in ("lsass_access", "encoded_command", "download_from_new_domain"):
        assert campaign.features[behaviour] == 1.0, behaviour
    assert campaign.features["interpreter_lineage"] >= 1.0
    assert np.isfinite(campaign.score) and campaign.score >= 50.0


def test_slow_benign_rollout_stays_below_every_attack(six_days):
    result, truth = six_days
    attacks = {t.name for t in truth if t.kind == "attack"}
    scores: dict[str, float] = {}
    for cluster in result.clusters:  # highest risk first: each entry's best cluster
        entry = match(cluster.to_contract(), truth)
        if entry is not None:
            scores.setdefault(entry.name, cluster.score)
    rollout = max((s for n, s in scores.items() if n.startswith("slowroll")), default=0.0)
    attack_scores = [s for n, s in scores.items() if n in attacks]
    assert len(attack_scores) >= 5  # the four default attacks and today's low-and-slow hosts
    assert rollout < min(attack_scores)
