"""How long finding the same picture in other dossiers takes as evidence files pile up.

PostgreSQL only (DATABASE_URL): builds a throwaway database ``<name>_bench_match``,
migrates it, and stores evidence fingerprints without any file behind them: 1,000 first,
then, in the same run, N (default 100,000). Almost all are random (SHA-256, PDQ and pHash
drawn at random, three files to a dossier, every file already compared); 20 are the real
fingerprints of generated photograph-like pictures (tests.pictures), stored as JPEG at
quality 95, each in a dossier of its own.

What is timed is ``cases.matching.matches_for`` for a file just stored in a new dossier:
the same picture as one of the 20, re-encoded at JPEG quality 60 (so its SHA-256 differs
and only the perceptual hashes can find it). It scans the pHash column in the database,
checks the few candidates' PDQ here, and looks the SHA-256 up in its index. Every answer
is checked: exactly the planted original, as "the same picture", nothing else. Each of
the 20 files is matched once as a warm-up, then ROUNDS times; the median and the 95th
percentile of those runs are printed at each size.

In the same run and at each size, for comparison:
- the baseline: a plain ``SELECT count(*) FROM cases_evidence`` (the same rows read,
  nothing computed on them), and the ratio of a match to it;
- the pHash scan on its own (the SQL matches_for sends), and how many candidates it
  returns on average (random 64-bit hashes come within 16 bits of a given one about
  once in 30,000 rows);
- at N, what EXPLAIN (ANALYZE, BUFFERS) says of that scan.

The target: under 50 ms per match at 100,000 stored fingerprints.

    DATABASE_URL=postgres://... python bench/evidence_match.py [N]
"""

from __future__ import annotations

import gc
import os
import random
import statistics
import sys
import time
from itertools import count as counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "institute.settings")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

SMALL = 1_000
PLANTED = 20
ROUNDS = 3  # timed runs of each planted picture, after one warm-up
FILES_PER_DOSSIER = 3
CHUNK = 15_000  # files built in memory at a time
BATCH = 5_000  # rows per INSERT
TARGET = 0.050  # seconds per match at 100,000 stored fingerprints
SEED = 20_250_101

_references = counter()


def _refuse_without_postgresql() -> None:
    if connection.vendor != "postgresql":
        print(
            f"bench/evidence_match.py needs PostgreSQL (DATABASE_URL=postgres://...); "
            f"the database configured is {connection.vendor}. Matching scans the pHash "
            f"column in PostgreSQL; on SQLite it compares the hashes in Python instead, "
            f"which is not what the Institute runs.",
            file=sys.stderr,
        )
        sys.exit(2)


def _dossiers(count: int) -> list[int]:
    """``count`` new closed dossiers (the minimum a dossier needs); their ids."""
    from cases.deadlines import first_contact_due
    from cases.models import Dossier

    now = timezone.now()
    rows = [
        Dossier(
            reference=f"M{next(_references):08d}",
            received_at=now,
            channel="web",
            language="nl",
            form_ncii=True,
            reporter_type="person_concerned",
            reporter_gender="woman",
            status="closed",
            closure_reason="other",
            closed_at=now,
            first_contact_due=first_contact_due(now, "normal"),
        )
        for _ in range(count)
    ]
    return [dossier.pk for dossier in Dossier.objects.bulk_create(rows, batch_size=BATCH)]


def _evidence(dossier_id: int, n: object, *, sha256: str, pdq: str, quality: int, phash: int):
    from cases.models import Evidence

    return Evidence(
        dossier_id=dossier_id,
        file=f"evidence/bench/{n}",
        content_type="image/jpeg",
        size=1000,
        sha256=sha256,
        pdq=pdq,
        pdq_quality=quality,
        phash=phash,
        matched_at=timezone.now(),
    )


def _store_random(count: int, rng: random.Random) -> None:
    """``count`` more evidence rows with random fingerprints, three to a dossier."""
    from cases.models import Evidence

    for start in range(0, count, CHUNK):
        size = min(CHUNK, count - start)
        dossiers = _dossiers(-(-size // FILES_PER_DOSSIER))
        rows = [
            _evidence(
                dossiers[i // FILES_PER_DOSSIER],
                start + i,
                sha256=rng.randbytes(32).hex(),
                pdq=rng.randbytes(32).hex(),
                quality=100,
                phash=rng.getrandbits(64) - (1 << 63),
            )
            for i in range(size)
        ]
        Evidence.objects.bulk_create(rows, batch_size=BATCH)


def _plant(count: int) -> list[tuple[object, object]]:
    """``count`` real pictures stored in dossiers of their own, and for each an unsaved
    file of a new dossier showing the same picture, re-encoded: (original, new file)."""
    from cases.fingerprints import MIN_QUALITY, fingerprint
    from cases.models import Evidence
    from tests.pictures import encoded, picture

    originals, copies = [], []
    for seed in range(count):
        image = picture(seed)
        for quality, into in ((95, originals), (60, copies)):
            found = fingerprint(encoded(image, "JPEG", quality=quality), "image/jpeg")
            assert found.phash is not None, seed
            assert (found.pdq_quality or 0) >= MIN_QUALITY, (seed, found.pdq_quality)
            into.append(found)
    stored = Evidence.objects.bulk_create(
        [
            _evidence(dossier, f"planted/{n}", **_fields(found))
            for n, (dossier, found) in enumerate(zip(_dossiers(count), originals, strict=True))
        ]
    )
    new = [
        _evidence(dossier, f"new/{n}", **_fields(found))
        for n, (dossier, found) in enumerate(zip(_dossiers(count), copies, strict=True))
    ]
    return list(zip(stored, new, strict=True))


def _fields(found) -> dict:
    return {
        "sha256": found.sha256,
        "pdq": found.pdq,
        "quality": found.pdq_quality,
        "phash": found.phash,
    }


def _median_p95(samples: list[float]) -> tuple[float, float]:
    return statistics.median(samples), statistics.quantiles(samples, n=20)[18]


def _timed(action) -> tuple[float, object]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def _measure(pairs) -> dict:
    """Match every new file (warm-up, then ROUNDS times each), checking every answer;
    the pHash scan alone and the baseline as many times."""
    from cases.fingerprints import SAME_PICTURE_PHASH_BITS
    from cases.matching import _CANDIDATES_SQL, matches_for

    def scan(new):
        with connection.cursor() as cursor:
            cursor.execute(_CANDIDATES_SQL, [new.dossier_id, new.phash, SAME_PICTURE_PHASH_BITS])
            return cursor.fetchall()

    def baseline():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM cases_evidence")
            return cursor.fetchone()[0]

    def check(original, new, found) -> None:
        answer = [(other.pk, identical) for other, identical in found]
        assert answer == [(original.pk, False)], (original.pk, answer)

    for original, new in pairs:  # warm-up: caches, and the answers checked once
        check(original, new, matches_for(new))
        scan(new)
        baseline()
    matches, scans, baselines, candidates = [], [], [], []
    for _ in range(ROUNDS):
        for original, new in pairs:
            seconds, found = _timed(lambda new=new: matches_for(new))
            check(original, new, found)
            matches.append(seconds)
            seconds, rows = _timed(lambda new=new: scan(new))
            scans.append(seconds)
            candidates.append(len(rows))
            seconds, _rows = _timed(baseline)
            baselines.append(seconds)
    return {
        "stored": baseline(),
        "match": _median_p95(matches),
        "scan": _median_p95(scans),
        "baseline": _median_p95(baselines),
        "candidates": statistics.mean(candidates),
    }


def _explain(new) -> list[str]:
    from cases.fingerprints import SAME_PICTURE_PHASH_BITS
    from cases.matching import _CANDIDATES_SQL

    with connection.cursor() as cursor:
        cursor.execute(
            f"EXPLAIN (ANALYZE, BUFFERS) {_CANDIDATES_SQL}",
            [new.dossier_id, new.phash, SAME_PICTURE_PHASH_BITS],
        )
        return [row[0] for row in cursor.fetchall()]


def _analyze() -> None:
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE cases_evidence")  # as autovacuum would after a load
        cursor.execute("ANALYZE cases_dossier")


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:7.2f} ms"


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    if count <= SMALL:
        sys.exit(f"N must be more than {SMALL:,}")
    _refuse_without_postgresql()
    settings.DEBUG = False
    test = connection.settings_dict.setdefault("TEST", {})
    test["NAME"] = f"{connection.settings_dict['NAME']}_bench_match"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        print(f"{connection.vendor} {connection.pg_version // 10000}: database {test['NAME']}")
        rng = random.Random(SEED)
        started = time.perf_counter()
        pairs = _plant(PLANTED)
        planted = time.perf_counter() - started
        started = time.perf_counter()
        _store_random(SMALL - PLANTED, rng)
        _analyze()
        print(
            f"{PLANTED} real pictures fingerprinted (twice each) in {planted:.1f} s; "
            f"{SMALL - PLANTED:,} random fingerprints stored in "
            f"{time.perf_counter() - started:.1f} s"
        )
        results = [_measure(pairs)]

        started = time.perf_counter()
        _store_random(count - SMALL, rng)
        _analyze()
        gc.collect()  # the rows built for the load are garbage, not part of the matching
        print(
            f"{count - SMALL:,} more random fingerprints stored, with their dossiers, "
            f"and analysed in {time.perf_counter() - started:.1f} s"
        )
        results.append(_measure(pairs))

        runs = ROUNDS * PLANTED
        print(
            f"\nmatches_for() of a new file showing one of the {PLANTED} planted pictures "
            f"(JPEG 95 stored, JPEG 60 new): {runs} runs at each size, every answer exactly "
            f"the planted original"
        )
        print(
            f"{'stored':>8}  {'match median':>12}  {'p95':>10}  {'baseline':>10}  "
            f"{'ratio':>6}  {'pHash scan':>10}  {'candidates':>10}"
        )
        for result in results:
            match, p95 = result["match"]
            base = result["baseline"][0]
            print(
                f"{result['stored']:>8,}  {_ms(match):>12}  {_ms(p95):>10}  {_ms(base):>10}"
                f"  {match / base:5.1f}x  {_ms(result['scan'][0]):>10}"
                f"  {result['candidates']:>10.1f}"
            )
        small, large = results
        print(
            f"growth {small['stored']:,} -> {large['stored']:,} stored: "
            f"match {large['match'][0] / small['match'][0]:.1f}x, "
            f"pHash scan {large['scan'][0] / small['scan'][0]:.1f}x, "
            f"baseline {large['baseline'][0] / small['baseline'][0]:.1f}x"
        )
        print("baseline: SELECT count(*) FROM cases_evidence; ratio: match median / baseline")

        print(f"\nEXPLAIN (ANALYZE, BUFFERS) of the pHash scan at {large['stored']:,}:")
        for line in _explain(pairs[0][1]):
            print(f"    {line}")

        seconds = large["match"][0]
        verdict = "YES" if seconds < TARGET else "NO"
        print(
            f"\nunder {TARGET * 1000:.0f} ms per match at {large['stored']:,} stored "
            f"fingerprints? {verdict} (median {seconds * 1000:.1f} ms, "
            f"p95 {large['match'][1] * 1000:.1f} ms)"
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
