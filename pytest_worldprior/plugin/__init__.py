"""The pytest plugin: options, ini keys, the `worldprior` marker, fixtures, the report header and the
session report (terminal table, JSON, HTML).

Importing this module is cheap (pytest imports it in every run where the package is installed): the
measuring code, numpy, scipy, transformers and Hypothesis load when a hook, fixture or assertion first
needs them.

Models are loaded once per session, after collection and before the first test (pytest_runtestloop), and only those that
collected tests ask for; a reference that cannot be loaded stops the run with a usage error.
"""

from __future__ import annotations

import time
from dataclasses import asdict, replace

import pytest

from .. import session as worldprior_session
from .fixtures import (  # noqa: F401 (pytest finds them here)
    worldprior_baseline,
    worldprior_baseline_seed,
    worldprior_model,
    worldprior_seed,
    worldprior_stored,
)
from .settings import OPTIONS, Settings, read_value
from .state import (
    MARKER_KEYS,
    STORED,
    as_usage_error,
    baselines_key,
    registry_key,
    session_key,
)
from .terminal import SessionReport, TerminalStatus, library_bars_only_on_a_terminal

_session_token_key = pytest.StashKey[object]()  # to put back the session that was current before this one
_cache_mark_key = pytest.StashKey[tuple]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("worldprior", "pytest-worldprior: behavioural tests of language models")
    for option in OPTIONS:
        if option.kind == "bool":
            group.addoption(option.flag, action="store_const", const=True, default=None, dest=option.ini, help=option.help)
            parser.addini(option.ini, option.help, type="bool", default=None)
        else:
            # argparse formats help text with % again: every literal % must be doubled for it.
            group.addoption(option.flag, default=None, dest=option.ini,
                            help=(option.help % {"default": option.default}).replace("%", "%%"))
            parser.addini(option.ini, option.help % {"default": option.default}, default=None)


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser, args: list[str]) -> None:
    """--worldprior-suite (or the ini key worldprior_suite): the bundled suite's folder joins the paths to collect."""
    try:
        asked = read_value("suite", lambda name: getattr(early_config.known_args_namespace, "worldprior_" + name),
                           early_config.getini)
    except ValueError as exc:
        raise pytest.UsageError(f"pytest-worldprior: {exc}") from None
    if asked:
        from .suite import add_suite_path

        add_suite_path(args)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "worldprior(model=None, baseline=None, seed=None, fail_on=None): run this test with another model, baseline or "
        "seed (its worldprior_model / worldprior_baseline / worldprior_seed fixtures, and every fixture that depends on "
        "them, take them; the test id names them), or other "
        "gates against its stored baseline (fail_on='entropy:-5% prior_kl:0.1', merged over --worldprior-fail-on)",
    )
    try:
        settings = Settings.read(lambda name: config.getoption("worldprior_" + name), config.getini)
    except ValueError as exc:
        raise pytest.UsageError(f"pytest-worldprior: {exc}") from None
    from .. import results_cache
    from ..baselines import gates
    from ..baselines import session as baseline_session
    from .baselines import StoredBaselines
    from .registry import ModelRegistry

    registry = ModelRegistry(settings)
    config.stash[registry_key] = registry
    with as_usage_error():
        fail_on = gates.parse_gates([settings.fail_on])
    stored = baseline_session.BaselineSession(settings.baselines_dir, update=settings.update_baselines,
                                              missing=settings.missing_baseline, fail_on=fail_on, top_k=settings.baseline_top_k,
                                              prior_kl_asked="fail_on" in settings.explicit and "prior_kl" in fail_on)
    # This run's state: what assertions, measures and backends use while it is the current session.
    # Seeds: what an assertion called without seed= / baseline_seed= uses (markers add theirs at collection).
    run = worldprior_session.WorldpriorSession(
        seeds=worldprior_session.Seeds(settings.seed, settings.baseline_seed),
        inconclusive=settings.inconclusive, fdr=settings.fdr,
        cache=None if settings.no_cache else results_cache.ResultsCache(settings.cache_dir / "results"),
        baselines=stored, display=TerminalStatus(config) if config.get_verbosity() >= 0 else None, settings=settings)
    run.recorder.observe(stored.compare_check)
    config.stash[session_key] = run
    config.stash[_session_token_key] = worldprior_session.activate(run)
    config.stash[baselines_key] = StoredBaselines(stored, settings.update_baselines)
    config.pluginmanager.register(config.stash[baselines_key], f"worldprior-baselines-{id(config)}")
    if settings.html:
        from ..report import html as html_report

        try:
            html_report.check_available()
        except ImportError as missing:
            raise pytest.UsageError(f"pytest-worldprior: {missing}") from None
    config.pluginmanager.register(SessionReport(config), f"worldprior-report-{id(config)}")
    # What the user set explicitly is checked now, even if no test uses it; defaults only when needed.
    with as_usage_error():
        for name in ("model", "baseline"):
            if name in settings.explicit and getattr(settings, name) != STORED:
                registry.spec(getattr(settings, name))
        for checkpoint in settings.lineage or ():
            registry.spec(checkpoint)
        if settings.model == STORED:
            raise pytest.UsageError("pytest-worldprior: --worldprior-model stored: the stored baselines can stand in "
                                    "for the baseline only (--worldprior-baseline stored); give the model to test")
        if settings.update_baselines and settings.baseline == STORED:
            raise pytest.UsageError("pytest-worldprior: --worldprior-update-baselines records new baselines, so it cannot "
                                    "compare with the stored ones (--worldprior-baseline stored); give a live baseline model")
        if "device" in settings.explicit and settings.device != "cpu":
            from ..backends.hf.loading import resolve_device

            resolve_device(settings.device)


def pytest_unconfigure(config: pytest.Config) -> None:
    registry = config.stash.get(registry_key, None)
    if registry is not None:
        registry.close()
    token = config.stash.get(_session_token_key, None)  # absent when bad settings stopped pytest_configure
    if token is not None:  # the session that was current before this one (an outer pytest session's) is back
        worldprior_session.restore(token)


def pytest_report_header(config: pytest.Config) -> list[str]:
    s = config.stash[registry_key].settings
    models = (f"lineage {' -> '.join(s.lineage)} (each against {s.lineage[0]})" if s.lineage
              else f"model {s.model}, baseline {s.baseline}")
    seeds = f"seed {s.seed}" + (f" (baseline's side {s.baseline_seed})" if s.baseline_seed is not None else "")
    lines = [f"worldprior: {models}, {seeds}, device {s.device}, dtype {s.dtype}, cache {s.cache_dir}"]
    where = f"{s.baselines_dir}/" + ("" if s.suite else " beside each test module")
    if s.update_baselines:
        lines.append(f"worldprior: recording stored baselines of {s.model} in {where}")
    elif s.baseline == STORED or "fail_on" in s.explicit:
        lines.append(f"worldprior: comparing with stored baselines in {where}; gates {s.fail_on}")
    return lines


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """The model, baseline and seed of a test, as parameters of its session fixtures, so that every fixture
    that depends on them (and `request.getfixturevalue`) sees the same ones: the `worldprior` marker's
    (the test id names them: `test_x[toy-collapsed-seed=3]`), else with --worldprior-lineage every test
    that takes the model under test runs once per checkpoint, else the session's (no parameter)."""
    mark = metafunc.definition.get_closest_marker("worldprior")
    marked = dict(mark.kwargs) if mark is not None else {}
    lineage = metafunc.config.stash[registry_key].settings.lineage
    for role in ("model", "baseline", "seed"):
        fixture = f"worldprior_{role}"
        if fixture not in metafunc.fixturenames:
            continue
        if marked.get(role) is not None:
            value = marked[role]
            metafunc.parametrize(fixture, [value], indirect=True, scope="session",
                                 ids=[f"seed={value}" if role == "seed" else str(value)])
        elif role == "model" and lineage:
            metafunc.parametrize(fixture, lineage, indirect=True, ids=list(lineage), scope="session")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    marked = {}
    for item in items:
        for mark in item.iter_markers("worldprior"):
            _check_marker(item, mark)
        mark = item.get_closest_marker("worldprior")
        if mark is not None and mark.kwargs.get("seed") is not None:
            marked[item.nodeid] = mark.kwargs["seed"]
    if marked:  # a marker's seed is also what that test's assertions take by default
        run = config.stash[session_key]
        run.seeds = replace(run.seeds, per_test=marked)


def pytest_collection_finish(session: pytest.Session) -> None:
    """--worldprior-limits changes the ready suite's limits: where no collected test takes them (none uses
    the suite's `limits` fixture), it is refused rather than ignored. The ini key is a project's standing
    configuration and may stay set while other tests run. Under pytest-xdist the workers collect, not the
    controller, and a worker cannot stop the run cleanly, so only a run without workers checks."""
    config = session.config
    if not config.getoption("worldprior_limits", None) or hasattr(config, "workerinput") or not session.items:
        return
    if not any("limits" in getattr(item, "fixturenames", ()) for item in session.items):
        raise pytest.UsageError(
            "pytest-worldprior: --worldprior-limits changes the ready suite's limits, but no collected test takes them "
            "(the `limits` fixture of suites/conftest.py): run it with the suite (pytest suites/ or --worldprior-suite), "
            "or drop --worldprior-limits; your own tests take their limits as arguments")


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> None:
    """Load, before the first test runs, every model that the collected tests will use."""
    config = session.config
    if config.option.collectonly or not session.items or session.testsfailed:
        return
    registry = config.stash[registry_key]
    needed: dict[str, None] = {}
    for item in session.items:
        names = getattr(item, "fixturenames", ())
        params = getattr(getattr(item, "callspec", None), "params", {})  # the marker's, or a lineage checkpoint
        for role in ("model", "baseline"):
            if f"worldprior_{role}" in names:
                needed[params.get(f"worldprior_{role}", getattr(registry.settings, role))] = None
    needed.pop(STORED, None)  # never loaded: the stored baselines answer for it
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    say = reporter.write_line if reporter is not None and config.get_verbosity() >= 0 else lambda line: None
    for reference in needed:
        if reference in registry.loaded():
            continue
        say(f"worldprior: loading {reference} ...")
        started = time.monotonic()
        with as_usage_error(), library_bars_only_on_a_terminal(config):
            info = registry.get(reference).info()
        say(f"worldprior: {reference} loaded in {time.monotonic() - started:.1f} s: weights sha256 {info.short_hash}, "
            f"tokenizer {info.tokenizer_sha256[:12]}, {info.dtype} on {info.device}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item):
    """Start the test's record and its stored-baseline comparison (with the marker's fail_on)."""
    run = item.config.stash[session_key]
    run.recorder.start_test(item.nodeid)
    cache = run.cache
    item.stash[_cache_mark_key] = (cache, cache.stats.as_dict() if cache else {})
    result = yield
    mark = item.get_closest_marker("worldprior")
    fail_on = str(mark.kwargs["fail_on"]) if mark is not None and mark.kwargs.get("fail_on") else None
    funcargs = getattr(item, "funcargs", None) or {}
    item.config.stash[baselines_key].start(item, funcargs.get("worldprior_model"), funcargs.get("worldprior_baseline"), fail_on)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Attach each verdict's numbers to the report (JUnit properties); report INCONCLUSIVE as xfail."""
    if call.when == "call":  # before the report is made: it copies item.user_properties
        for number, record in enumerate(item.config.stash[session_key].recorder.for_test(item.nodeid), 1):
            verdict = record.verdict
            prefix = f"worldprior.{number}.{record.check}"
            for key in ("outcome", "estimate", "interval", "threshold", "n", "method", "seed"):
                item.user_properties.append((f"{prefix}.{key}", verdict[key]))
    report = yield
    if call.when == "call":
        item.config.stash[baselines_key].finish(item, report)
        # Plain dicts on the report reach the xdist controller with it (pytest serialises report attributes).
        report.worldprior = [dict(asdict(record), number=number)
                             for number, record in enumerate(item.config.stash[session_key].recorder.for_test(item.nodeid), 1)]
        if report.worldprior:
            report.worldprior_models = _fingerprints(item.config, report.worldprior)
        cache, before = item.stash.get(_cache_mark_key, (None, {}))
        if cache is not None:  # this test's share of the cache counts, summed on the controller under xdist
            report.worldprior_cache = {k: v - before.get(k, 0) for k, v in cache.stats.as_dict().items()}
        from .baselines import is_inconclusive

        if call.excinfo is not None and is_inconclusive(call.excinfo.value):
            report.outcome = "skipped"
            report.wasxfail = str(call.excinfo.value)  # the message starts "INCONCLUSIVE: ..."
    return report


def _fingerprints(config: pytest.Config, records: list[dict]) -> dict[str, dict]:
    """Fingerprints of the models this test's verdicts name (the model checked, and a baseline)."""
    named = set()
    for record in records:
        named.add(record["model"])
        baseline = record["verdict"]["details"].get("baseline")
        named.add(baseline.get("model") if isinstance(baseline, dict) else baseline)
    known = config.stash[session_key].recorder.models | {ref: m.info().as_dict() for ref, m in config.stash[registry_key].loaded().items()}
    return {ref: known[ref] for ref in named if ref in known}


def _check_marker(item: pytest.Item, mark: pytest.Mark) -> None:
    where = f"{item.nodeid}: @pytest.mark.worldprior"
    if mark.args:
        raise pytest.UsageError(f"{where} takes keyword arguments only ({', '.join(MARKER_KEYS)}), got {mark.args!r}")
    unknown = sorted(set(mark.kwargs) - set(MARKER_KEYS))
    if unknown:
        raise pytest.UsageError(f"{where} got unknown key(s) {', '.join(map(repr, unknown))}; valid keys: {', '.join(MARKER_KEYS)}")
    if mark.kwargs.get("fail_on") is not None:
        from ..baselines import gates

        try:
            gates.parse_gates([str(mark.kwargs["fail_on"])])
        except gates.GateSyntaxError as exc:
            raise pytest.UsageError(f"{where}(fail_on=...): {exc}") from None
    seed = mark.kwargs.get("seed")
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool) or seed < 0):
        raise pytest.UsageError(f"{where}: seed must be a non-negative int, got {seed!r}")
    registry = item.config.stash[registry_key]
    for role in ("model", "baseline"):
        if role in mark.kwargs and not (role == "baseline" and mark.kwargs[role] == STORED):
            with as_usage_error(prefix=f"{where}({role}=...): "):
                registry.spec(str(mark.kwargs[role]))
