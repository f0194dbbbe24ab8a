"""Which stored cluster a new one continues (graphsiem.api.cluster_lineage), without I/O."""

from __future__ import annotations

from graphsiem.api.cluster_lineage import StoredCluster, match_predecessors

HOSTS = [f"h{i}" for i in range(20)]


def _c(cid: str, hosts: list[str], members: list[str], *, active: bool = True) -> StoredCluster:
    return StoredCluster(cid, frozenset(hosts), frozenset(("file", m) for m in members),
                         was_active=active)


OLD_MEMBERS = [f"m{i}" for i in range(9)]


def test_a_case_that_grew_continues_one_that_more_than_doubled_does_not() -> None:
    old = _c("old", HOSTS[:10], OLD_MEMBERS)
    grew = _c("grew", HOSTS[:10], OLD_MEMBERS + ["n1", "n2", "n3"])
    doubled = _c("doubled", HOSTS[:10], OLD_MEMBERS + [f"n{i}" for i in range(10)])
    assert match_predecessors([grew], [old]) == {"grew": old}
    assert match_predecessors([doubled], [old]) == {}


def test_one_to_one_the_closest_match_takes_the_case() -> None:
    old = _c("old", HOSTS[:10], OLD_MEMBERS)
    exact = _c("exact", HOSTS[:10], OLD_MEMBERS)
    near = _c("near", HOSTS[:9], OLD_MEMBERS)  # host Jaccard 0.9
    assert match_predecessors([near, exact], [old]) == {"exact": old}


def test_a_case_produced_again_under_its_own_id_is_not_continued_by_another() -> None:
    old = _c("old", HOSTS[:10], OLD_MEMBERS)
    again = _c("old", HOSTS[:10], OLD_MEMBERS)
    twin = _c("twin", HOSTS[:10], OLD_MEMBERS)
    assert match_predecessors([again, twin], [old]) == {}
