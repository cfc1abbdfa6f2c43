"""Each pytest session has its own WorldpriorSession: two pytest sessions run in one process (pytester's
in-process runs, as an IDE runner does) see neither each other's verdicts, seeds and results caches nor
this outer session's, and the outer session is current again when they end."""

import pytest_worldprior.measures.diversity  # noqa: F401
from pytest_worldprior import assert_mode_share_within, session  # noqa: F401

# pytester's in-process runs drop the modules a run imported when it ends; what the inner tests use is loaded
# here first, so both runs use the same module objects (else the second run's results would not pickle).

INNER = """
from pytest_worldprior import assert_mode_share_within, session
from pytest_worldprior.backends.callable import CallableBackend

MODEL = CallableBackend(lambda prompt, n, temperature, seed: [f" seed {seed} here"] * n, name="says-its-seed")

def test_records_one_verdict(pytestconfig):
    run = session.current()
    from pytest_worldprior.plugin.state import session_key
    assert run is pytestconfig.stash[session_key]
    verdict = assert_mode_share_within(MODEL, "Hi", max_top_share=1.0, n=4)
    print("INNER records", len(run.recorder.records), "seed", verdict.seed, "cache", run.cache.folder)
"""


def test_two_in_process_sessions_share_nothing(pytester, tmp_path):
    outer = session.current()
    records, seeds, cache = list(outer.recorder.records), outer.seeds, outer.cache
    pytester.makepyfile(INNER)
    seen = []
    for seed, folder in ((3, tmp_path / "a"), (5, tmp_path / "b")):
        result = pytester.runpytest_inprocess("-s", "-p", "no:cacheprovider", "--worldprior-seed", str(seed),
                                              "--worldprior-cache-dir", str(folder))
        result.assert_outcomes(passed=1)
        line = next(line for line in result.outlines if "INNER records" in line)
        seen.append(line[line.index("INNER"):])
        assert session.current() is outer  # the outer session is back
    # One verdict each (the first run's is not in the second's record), each with its own seed and cache.
    assert seen == [f"INNER records 1 seed 3 cache {tmp_path / 'a' / 'results'}",
                    f"INNER records 1 seed 5 cache {tmp_path / 'b' / 'results'}"]
    assert outer.recorder.records == records and outer.seeds == seeds and outer.cache is cache
