"""Evaluate a cluster ranking against a simulator's ``ground_truth.json``.

**Matching rule.**  A ranked cluster matches a truth entry (campaign or decoy)
when both hold:

1. it shares at least one indicator with the entry: an indicator
   ``{type, value}`` equals a member's ``(type, value)`` or ``(type, key)``,
   compared case-insensitively with whitespace collapsed;
2. at least half of the cluster's hosts are hosts of the entry.

When several entries match, the one with the largest host Jaccard wins.

**Ranks.**  Only the first cluster matching an entry counts; later clusters
matching the same entry are dropped from the list before ranks are computed, so
a method is not penalised for splitting one campaign into several rows (this
favours the one-entity baselines, never the scorer).  Unmatched clusters stay
and count as false positives.

**Metrics** (attacks = entries of kind ``attack``):

* rank of each entry (``None`` when not found);
* recall@k = attacks ranked <= k / attacks;
* precision@k = clusters in the top k that match an attack / k;
* average precision = mean over attacks of (attacks ranked <= r) / r at each
  attack's rank r (0 for an attack never found);
* decoys in the top 10 = benign entries matched within the top 10;
* credential findings (rows with a ``credential`` record: a spray, a brute force, a likely
  compromise on a validator, ranked among the fan-out clusters by their pattern's fixed risk): each
  one's rank, pattern and the entry it matched, so a credential attack of the truth (the simulator's
  ``password_spray``) says whether a credential finding found it and where, and a finding the benign
  failures made (mistypes, a stale service password) shows up as an unmatched credential row.

**Ties.**  Clusters with the same risk (the contract's ``score``, two decimals)
are ordered by a tie-break (detection: fewer hosts first), not by the scorer:
on a simulated fleet most ordinary clusters share one risk, so a decoy's rank
can measure the list's length.  When the ranking is ordered by score, each
entry therefore also gets its *expected rank under a random order of its ties*
(rows scored higher + (rows tied with it + 1) / 2), and the expected number of
decoys in the top 10 under that order; and the *risk margin*: the lowest risk
of a matched attack minus the highest risk of any other row (negative when a
benign or unmatched cluster scores at least as high as some attack).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

_SPACE = re.compile(r"\s+")


def _norm(value: object) -> str:
    return _SPACE.sub(" ", str(value)).strip().lower()


@dataclass(slots=True, frozen=True)
class TruthEntry:
    """One campaign or decoy of the ground truth."""

    name: str
    kind: str  # "attack" | "benign"
    hosts: frozenset[str]
    indicators: frozenset[tuple[str, str]]
    is_seed: bool = False


def load_truth(source: str | Path | Mapping[str, Any]) -> list[TruthEntry]:
    """Read ``ground_truth.json`` (path or parsed) into entries.

    Accepts ``{"campaigns": [...], "decoys": [...]}``, ``{"scenarios": [...]}``
    or a bare list; every entry needs ``kind`` and ``hosts``.  The seed
    campaign is the entry flagged ``"seed": true``, else the attack whose
    name or label mentions "seed", else the first attack.
    """
    data = json.loads(Path(source).read_text(encoding="utf-8")) if isinstance(source, (str, Path)) else source
    if isinstance(data, list):
        rows = data
    else:
        rows = [r for v in data.values() if isinstance(v, list) for r in v if isinstance(r, dict) and "kind" in r]
    entries = []
    for i, row in enumerate(rows):
        if "kind" not in row or "hosts" not in row:
            raise ValueError(f"ground truth entry {i} lacks 'kind' or 'hosts'")
        name = str(row.get("name") or row.get("label") or f"entry-{i}")
        indicators = frozenset((_norm(x["type"]), _norm(x["value"])) for x in row.get("indicators", ()))
        flagged = bool(row.get("seed")) or "seed" in _norm(f"{row.get('name', '')} {row.get('label', '')}")
        entries.append(TruthEntry(name, str(row["kind"]), frozenset(map(_norm, row["hosts"])), indicators, flagged))
    attacks = [e for e in entries if e.kind == "attack"]
    if attacks and not any(e.is_seed for e in attacks):
        first = attacks[0]
        entries[entries.index(first)] = TruthEntry(first.name, first.kind, first.hosts, first.indicators, True)
    return entries


def _cluster_terms(cluster: Mapping[str, Any]) -> set[tuple[str, str]]:
    terms = {(_norm(e["type"]), _norm(e["value"])) for e in cluster.get("entities", ())}
    terms |= {(_norm(e["type"]), _norm(e["key"])) for e in cluster.get("entity_keys", ())}
    return terms


def match(cluster: Mapping[str, Any], truth: Sequence[TruthEntry]) -> TruthEntry | None:
    """The truth entry a contract-shaped cluster matches (see the module rule), or ``None``."""
    hosts = {_norm(h) for h in cluster.get("hosts", ())}
    if not hosts:
        return None
    terms = _cluster_terms(cluster)
    best, best_jaccard = None, -1.0
    for entry in truth:
        shared = len(hosts & entry.hosts)
        if not (entry.indicators & terms) or shared < 0.5 * len(hosts):
            continue
        jaccard = shared / len(hosts | entry.hosts)
        if jaccard > best_jaccard:
            best, best_jaccard = entry, jaccard
    return best


@dataclass(slots=True)
class Evaluation:
    """Metrics of one ranking."""

    ranks: dict[str, int | None]
    kinds: dict[str, str]
    seed: str | None
    recall_at_5: float
    recall_at_10: float
    precision_at_5: float
    precision_at_10: float
    average_precision: float
    decoys_in_top_10: int
    rows: int
    matched: list[str | None] = field(default_factory=list)
    expected_ranks: dict[str, float | None] = field(default_factory=dict)
    """Rank under a random order of equal scores (module docstring); ``None`` when not found,
    or when the ranking is not ordered by a numeric ``score``."""
    tied: dict[str, int | None] = field(default_factory=dict)
    """How many rows (the entry's own included) share each found entry's score."""
    expected_decoys_in_top_10: float | None = None
    risk_margin: float | None = None
    """Lowest matched attack's score minus the highest other row's; ``None`` without both."""
    credential: list[dict[str, Any]] = field(default_factory=list)
    """The credential rows kept: ``rank``, ``pattern``, ``validator`` and ``matched`` (an entry's name or
    ``None``), best first."""

    @property
    def seed_rank(self) -> int | None:
        return self.ranks.get(self.seed) if self.seed else None

    @property
    def expected_seed_rank(self) -> float | None:
        return self.expected_ranks.get(self.seed) if self.seed else None

    @property
    def attacks_in_top_10(self) -> int:
        return sum(1 for n, r in self.ranks.items() if self.kinds[n] == "attack" and r is not None and r <= 10)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(seed_rank=self.seed_rank, attacks_in_top_10=self.attacks_in_top_10,
                    expected_seed_rank=self.expected_seed_rank)
        return data


def evaluate(clusters: Iterable[Mapping[str, Any]], truth: Sequence[TruthEntry]) -> Evaluation:
    """Score a ranking (contract-shaped clusters, best first) against ``truth``.

    Examples
    --------
    >>> t = [TruthEntry("c", "attack", frozenset({"a", "b"}), frozenset({("domain", "x")}), True)]
    >>> e = evaluate([{"hosts": ["z"], "entities": []},
    ...               {"hosts": ["a", "b"], "entities": [{"type": "domain", "value": "X"}]}], t)
    >>> e.ranks, e.average_precision
    ({'c': 2}, 0.5)
    """
    found: dict[str, int] = {}
    kept: list[str | None] = []
    scores: list[float | None] = []
    credential: list[dict[str, Any]] = []
    for cluster in clusters:
        entry = match(cluster, truth)
        if entry is not None and entry.name in found:
            continue
        kept.append(entry.name if entry else None)
        scores.append(_score(cluster))
        record = cluster.get("credential")
        if isinstance(record, Mapping):
            credential.append({"rank": len(kept), "pattern": record.get("pattern"),
                               "validator": record.get("validator"), "matched": entry.name if entry else None})
        if entry is not None:
            found[entry.name] = len(kept)
    kinds = {e.name: e.kind for e in truth}
    attacks = [e.name for e in truth if e.kind == "attack"]
    attack_ranks = sorted(found[a] for a in attacks if a in found)

    def recall(k: int) -> float:
        return sum(1 for r in attack_ranks if r <= k) / len(attacks) if attacks else 0.0

    def precision(k: int) -> float:
        return sum(1 for n in kept[:k] if n is not None and kinds[n] == "attack") / k

    ap = sum((i + 1) / r for i, r in enumerate(attack_ranks)) / len(attacks) if attacks else 0.0
    decoys = {n for n in kept[:10] if n is not None and kinds[n] != "attack"}
    seed = next((e.name for e in truth if e.is_seed), None)
    ties = _ties(kept, scores, kinds)
    return Evaluation(
        ranks={e.name: found.get(e.name) for e in truth},
        kinds=kinds,
        seed=seed,
        recall_at_5=recall(5),
        recall_at_10=recall(10),
        precision_at_5=precision(5),
        precision_at_10=precision(10),
        average_precision=ap,
        decoys_in_top_10=len(decoys),
        rows=len(kept),
        matched=kept,
        expected_ranks={e.name: ties.expected.get(e.name) for e in truth},
        tied={e.name: ties.tied.get(e.name) for e in truth},
        expected_decoys_in_top_10=ties.expected_decoys_in_top_10,
        risk_margin=ties.margin,
        credential=credential,
    )


def _score(cluster: Mapping[str, Any]) -> float | None:
    score = cluster.get("score")
    return float(score) if isinstance(score, (int, float)) and not isinstance(score, bool) else None


@dataclass(slots=True)
class _Ties:
    expected: dict[str, float] = field(default_factory=dict)
    tied: dict[str, int] = field(default_factory=dict)
    expected_decoys_in_top_10: float | None = None
    margin: float | None = None


def _ties(kept: Sequence[str | None], scores: Sequence[float | None], kinds: Mapping[str, str]) -> _Ties:
    """Expected ranks under a random order of equal scores, and the risk margin (module docstring).

    Nothing when a row has no numeric score or the rows are not in descending score
    order: the ranking's order is then not the scores', and ties say nothing about it.
    """
    if any(s is None for s in scores):
        return _Ties()
    values = [float(s) for s in scores if s is not None]
    if any(later > earlier for earlier, later in zip(values, values[1:], strict=False)):
        return _Ties()
    out = _Ties(expected_decoys_in_top_10=0.0)
    for name, score in zip(kept, values, strict=True):
        if name is None:
            continue
        above = sum(1 for v in values if v > score)
        tied = sum(1 for v in values if v == score)
        out.expected[name] = above + (tied + 1) / 2
        out.tied[name] = tied
        if kinds[name] != "attack":
            # a random order of the tied rows puts it in one of their `tied` places with equal chance
            out.expected_decoys_in_top_10 = (out.expected_decoys_in_top_10 or 0.0) + min(max((10 - above) / tied, 0.0), 1.0)
    attacks = [v for name, v in zip(kept, values, strict=True) if name is not None and kinds[name] == "attack"]
    others = [v for name, v in zip(kept, values, strict=True) if name is None or kinds[name] != "attack"]
    if attacks and others:
        out.margin = round(min(attacks) - max(others), 6)
    return out


def render(evaluation: Evaluation) -> str:
    """A plain-text report: per-entry ranks, then the metrics."""
    lines = [f"{'entry':32} {'kind':7} rank"]
    by_credential = {row["matched"]: row for row in evaluation.credential if row["matched"] is not None}
    for name, rank in evaluation.ranks.items():
        mark = "  (seed)" if name == evaluation.seed else ""
        if name in by_credential:
            mark += f"  (credential finding: {by_credential[name]['pattern']} on {by_credential[name]['validator']})"
        tied = evaluation.tied.get(name)
        expected = evaluation.expected_ranks.get(name)
        if tied is not None and tied > 1 and expected is not None:
            mark += f"  (tied with {tied - 1} other row{'s' if tied > 2 else ''}: expected rank {expected:g})"
        lines.append(f"{name[:32]:32} {evaluation.kinds[name]:7} {rank if rank is not None else '-'}{mark}")
    e = evaluation
    lines += [
        "",
        f"recall@5 {e.recall_at_5:.2f}  recall@10 {e.recall_at_10:.2f}  "
        f"precision@5 {e.precision_at_5:.2f}  precision@10 {e.precision_at_10:.2f}",
        f"average precision {e.average_precision:.3f}  decoys in top 10: {e.decoys_in_top_10}  "
        f"attacks in top 10: {e.attacks_in_top_10}  seed rank: {e.seed_rank or '-'}",
    ]
    lines.append(credential_line(e))
    if e.expected_decoys_in_top_10 is not None:
        margin = f"{e.risk_margin:+.2f}" if e.risk_margin is not None else "-"
        seed = f"{e.expected_seed_rank:g}" if e.expected_seed_rank is not None else "-"
        lines.append(
            f"under a random order of equal risks: expected decoys in top 10: {e.expected_decoys_in_top_10:.2f}  "
            f"expected seed rank: {seed}  risk margin (lowest attack - highest other row): {margin}"
        )
    return "\n".join(lines)


def credential_line(evaluation: Evaluation) -> str:
    """One line on the ranking's credential findings: how many, and each one's rank, pattern, match.

    Examples
    --------
    >>> e = Evaluation({}, {}, None, 0, 0, 0, 0, 0, 0, 0, credential=[
    ...     {"rank": 1, "pattern": "likely_compromise", "validator": "dc-01", "matched": "password_spray"}])
    >>> credential_line(e)
    'credential findings: 1: #1 likely_compromise on dc-01 (password_spray)'
    >>> credential_line(Evaluation({}, {}, None, 0, 0, 0, 0, 0, 0, 0))
    'credential findings: none'
    """
    if not evaluation.credential:
        return "credential findings: none"
    rows = [f"#{row['rank']} {row['pattern']} on {row['validator']} ({row['matched'] or 'unmatched'})"
            for row in evaluation.credential]
    return f"credential findings: {len(rows)}: " + ", ".join(rows)
