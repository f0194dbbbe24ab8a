"""The kept contact times of a host and destination (graphsiem.contact_times): bounded, order-free, gaps only where real."""

from __future__ import annotations

import random

from graphsiem.contact_times import KEEP_EACH_END, contact_gaps, merge_times

BEACON = [1000.0 + 60.0 * n + (n * 7 % 11) for n in range(200)]
"""200 contacts about a minute apart (jitter up to 10 s)."""


def test_merged_in_any_order_and_any_cut_the_kept_times_are_the_same():
    whole = merge_times(BEACON)
    rng = random.Random(7)
    for _ in range(20):
        shuffled = BEACON[:]
        rng.shuffle(shuffled)
        cuts = sorted(rng.sample(range(1, len(shuffled)), 5))
        kept: tuple[float, ...] = ()
        for start, end in zip([0, *cuts], [*cuts, len(shuffled)], strict=True):
            kept = merge_times(kept, merge_times(shuffled[start:end]))
        assert kept == whole


def test_a_time_seen_twice_is_kept_once():
    assert merge_times(BEACON[:10], BEACON[:10]) == merge_times(BEACON[:10]) == tuple(BEACON[:10])


def test_only_the_earliest_and_latest_times_are_kept():
    kept = merge_times(BEACON)

    assert len(kept) == 2 * KEEP_EACH_END
    assert kept == tuple(BEACON[:KEEP_EACH_END] + BEACON[-KEEP_EACH_END:])


def test_the_step_between_the_kept_ends_is_no_gap():
    gaps = contact_gaps(merge_times(BEACON))

    assert len(gaps) == 2 * KEEP_EACH_END - 2
    assert all(49.0 <= gap <= 71.0 for gap in gaps)  # the beacon's own gaps, never the 10,000 s across the ends


def test_two_sensors_logging_one_contact_make_no_short_gap():
    both = merge_times(BEACON[:15], [t + 0.4 for t in BEACON[:15]])

    assert contact_gaps(both) == contact_gaps(BEACON[:15])


def test_times_after_until_are_unknown():
    assert contact_gaps(BEACON[:20], until=BEACON[4]) == contact_gaps(BEACON[:5])


def test_two_sensors_with_clocks_seconds_apart_make_no_short_gap():
    # the simulator's fleet: a host's Sysmon 22 and Zeek's dns.log 2-3.5 s apart, every contact
    skewed = merge_times(BEACON[:15], [t + 3.5 for t in BEACON[:15]])

    assert contact_gaps(skewed) == contact_gaps(BEACON[:15])
