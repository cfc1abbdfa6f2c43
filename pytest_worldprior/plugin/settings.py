"""The plugin's settings, defined once: each has a `--worldprior-NAME` option and a `worldprior_NAME` ini key.

The command line beats the ini file, which beats the default; the ready suite's limits (`limits`) take
the ini file's items and then the command line's. The cache folder also reads the environment
variable WORLDPRIOR_CACHE_DIR, between the two (the option, then the variable, then the ini key:
files.resolve_cache_dir). Values stay plain strings, ints and bools so
pytest-xdist can send them to its workers.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path

from ..baselines.gates import DEFAULT_FAIL_ON
from ..files import resolve_cache_dir


@dataclass(frozen=True)
class Option:
    name: str  # option --worldprior-<name with dashes>, ini key worldprior_<name>
    help: str
    default: object = None
    kind: str = "string"  # "string", "int", "float", "bool" or "limits" (NAME = value items)

    @property
    def flag(self) -> str:
        return "--worldprior-" + self.name.replace("_", "-")

    @property
    def ini(self) -> str:
        return "worldprior_" + self.name


DTYPES = ("float32", "float16", "bfloat16")  # what --worldprior-dtype accepts; the HF loader maps each to torch's

OPTIONS = (
    Option("model", "model under test: HF directory, .gguf file, short name, or a served model openai+http://HOST:PORT/v1#NAME (default: %(default)s)", "gemma3-270m-dpo"),
    Option("baseline", "model to compare against, same forms as --worldprior-model (default: %(default)s)", "gemma3-270m"),
    Option("seed", "seed of the worldprior_seed fixture, which tests pass to sampled checks (default: %(default)s)", 0, "int"),
    Option("baseline_seed", "seed of the worldprior_baseline_seed fixture, which tests pass to the baseline's side of "
           "sampled checks (default: the session seed; another one makes the two sides' samples independent)", None, "int"),
    Option("device", "cpu, cuda, cuda:N, mps or auto (default: %(default)s)", "cpu"),
    Option("dtype", "float32 (exact, default), float16 or bfloat16", "float32"),
    Option("batch_size", "contexts per forward pass (default: %(default)s)", 8, "int"),
    Option("cache_dir", "folder for dequantised weights, toy models and the results cache (env WORLDPRIOR_CACHE_DIR; default ~/.cache/pytest-worldprior)"),
    Option("no_cache", "recompute every measurement instead of reading unchanged ones from the results cache", False, "bool"),
    Option("allow_pickle", "allow loading weights stored as pickle (.bin/.pt): this can run code from the file", False, "bool"),
    Option("trust_remote_code", "allow a model directory's own Python code to run (transformers' trust_remote_code)", False, "bool"),
    Option("inconclusive", "what an INCONCLUSIVE verdict does: xfail (default, with the numbers), fail or warn", "xfail"),
    Option("chat_fallback", "render chat prompts as plain 'role: content' text for models without a chat template", False, "bool"),
    Option("report", "write every verdict, model fingerprint and setting to this JSON file at the end of the session"),
    Option("html", "write a single-file HTML report with plots here (needs the [html] extra: matplotlib)"),
    Option("api_key_env", "environment variable that holds the API key for openai+http(s):// models "
           "(default: %(default)s; the key itself never appears in any output)", "OPENAI_API_KEY"),
    Option("max_in_flight", "requests at once to a model server (default: %(default)s)", 8, "int"),
    Option("request_timeout", "seconds a model server may take to answer one request (default: %(default)s)", 120, "int"),
    Option("update_baselines", "record every check of --worldprior-model in the stored baseline files (replacing what they "
           "hold) and remove entries no test used", False, "bool"),
    Option("baselines_dir", "name of the folder beside each test module that holds its stored baselines; with "
           "--worldprior-suite, the folder of that name in the current directory (default: %(default)s)", "worldprior_baselines"),
    Option("missing_baseline", "a check with no stored baseline, in a module that has stored baselines: fail "
           "(default) or warn", "fail"),
    Option("fail_on", "gates against stored baselines, CHECK:LIMIT items such as entropy:-10%% prior_kl:0.05 "
           "(default: %(default)s)", DEFAULT_FAIL_ON),
    Option("lineage", "checkpoints of one model, REF,REF[,REF...]: each runs as the model under test against the "
           "first, and the report adds a lineage table (replaces --worldprior-model and --worldprior-baseline)"),
    Option("fdr", "judge the run's sampled checks together at this false discovery rate Q (Benjamini-Hochberg, e.g. "
           "0.05): their FAILs are decided at the end of the session, not per check (docs/verdicts.md)", None, "float"),
    Option("suite", "also run the ready suite bundled with the package (pytest_worldprior/suite, the repository's "
           "suites/): one command, no copy of its files", False, "bool"),
    Option("baseline_top_k", "next-token probabilities kept per prompt in stored baselines (default: %(default)s)", 32, "int"),
    Option("limits", "the ready suite's limits to change (the names of suites/thresholds.py), NAME = value items: one a "
           "line in the ini file, separated by ';' on the command line, e.g. 'MAX_ENTROPY_DROP_NATS = 1.5; TEMPERATURES = "
           "0.5, 1.0, 2.0'; the command line's items apply after the ini file's", (), "limits"),
)


@dataclass(frozen=True)
class Settings:
    model: str
    baseline: str
    seed: int
    baseline_seed: int | None
    device: str
    dtype: str
    batch_size: int
    cache_dir: Path
    no_cache: bool
    allow_pickle: bool
    trust_remote_code: bool
    inconclusive: str
    chat_fallback: bool
    report: str | None
    html: str | None
    api_key_env: str
    max_in_flight: int
    request_timeout: int
    update_baselines: bool
    baselines_dir: str
    missing_baseline: str
    fail_on: str
    baseline_top_k: int
    lineage: tuple[str, ...] | None
    fdr: float | None
    suite: bool
    limits: tuple[tuple[str, object], ...]  # (NAME, value) in the order given; the suite checks names and kinds
    explicit: frozenset[str] = frozenset()  # names the user set on the command line or in the ini file

    @classmethod
    def read(cls, from_option: Callable[[str], object], from_ini: Callable[[str], object]) -> Settings:
        """Build from the two sources; a bad value raises ValueError naming the option and the fix."""
        values = {option.name: read_value(option.name, from_option, from_ini) for option in OPTIONS}
        explicit = {option.name for option in OPTIONS if _raw(option, from_option, from_ini) not in (None, "", [])}
        values["cache_dir"] = resolve_cache_dir(from_option("cache_dir"), from_ini("worldprior_cache_dir") or None)
        if values["suite"]:  # the bundled suite's modules lie in the installed package: no place to write baselines
            values["baselines_dir"] = str(Path.cwd() / values["baselines_dir"])
        if values["lineage"] is not None:
            clash = sorted({"model", "baseline"} & explicit)
            if clash:
                raise ValueError("--worldprior-lineage sets the models itself (each checkpoint against the first); drop "
                                 + " and ".join(f"--worldprior-{name}" for name in clash) + " (on the command line or in the ini file)")
            if values["update_baselines"]:
                raise ValueError("--worldprior-lineage runs several models, but --worldprior-update-baselines records the "
                                 "stored baselines of one: record them in a run with --worldprior-model")
            values["baseline"], values["model"] = values["lineage"][0], values["lineage"][-1]
        return cls(**values, explicit=frozenset(explicit))

    def as_dict(self) -> dict[str, object]:
        return ({f.name: getattr(self, f.name) for f in fields(self) if f.name != "explicit"}
                | {"cache_dir": str(self.cache_dir), "lineage": list(self.lineage) if self.lineage else None,
                   "limits": dict(self.limits)})


def read_value(name: str, from_option: Callable[[str], object], from_ini: Callable[[str], object]) -> object:
    """One setting (command line > ini file > default), checked as `Settings.read` checks it; a bad value
    raises ValueError naming the option and the fix. (The cache folder's other sources: `Settings.read`.)"""
    option = next(o for o in OPTIONS if o.name == name)
    return _convert(option, _raw(option, from_option, from_ini))


def _raw(option: Option, from_option: Callable[[str], object], from_ini: Callable[[str], object]) -> object:
    cli = from_option(option.name)
    if option.kind == "limits":  # both sources, the ini file's items first: a name given twice takes its later value
        return [part for raw in (from_ini(option.ini), cli) if raw not in (None, "")
                for part in (raw if isinstance(raw, list) else [raw])]
    return cli if cli is not None else from_ini(option.ini)


def _convert(option: Option, raw: object) -> object:
    if raw in (None, "", []):
        return option.default
    if option.kind == "limits":
        return _limits(option, raw)
    if option.kind == "bool":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"{option.flag} / {option.ini} must be true or false, got {raw!r}")
    if option.kind == "int":
        try:
            value = int(str(raw).strip())
        except ValueError:
            raise ValueError(f"{option.flag} / {option.ini} must be an integer, got {raw!r}") from None
        if option.name == "batch_size" and value < 1:
            raise ValueError(f"{option.flag} must be at least 1, got {value}")
        if option.name in ("baseline_top_k", "max_in_flight", "request_timeout") and value < 1:
            raise ValueError(f"{option.flag} must be at least 1, got {value}")
        if option.name in ("seed", "baseline_seed") and value < 0:
            raise ValueError(f"{option.flag} must be a non-negative integer, got {value}")
        return value
    if option.kind == "float":  # fdr, the only one: a rate strictly between 0 and 1
        try:
            value = float(str(raw).strip())
        except ValueError:
            raise ValueError(f"{option.flag} / {option.ini} must be a number, got {raw!r}") from None
        if not 0 < value < 1:
            raise ValueError(f"{option.flag} / {option.ini} is a false discovery rate: a number between 0 and 1 "
                             f"(e.g. 0.05), got {raw!r}")
        return value
    value = str(raw).strip()
    if option.name == "lineage":
        return _checkpoints(option, value)
    if option.name == "inconclusive" and value not in ("xfail", "fail", "warn"):
        raise ValueError(f"{option.flag} / {option.ini} must be xfail, fail or warn, got {raw!r}")
    if option.name == "dtype" and value not in DTYPES:  # the HF backend's names (backends/hf/loading.py)
        raise ValueError(f"{option.flag} / {option.ini} must be one of {', '.join(DTYPES)} (float32 is the default and "
                         f"exact), got {raw!r}")
    if option.name == "missing_baseline" and value not in ("fail", "warn"):
        raise ValueError(f"{option.flag} / {option.ini} must be fail or warn, got {raw!r}")
    if option.name == "baselines_dir" and (not value or Path(value).name != value or value in (".", "..")):
        raise ValueError(f"{option.flag} / {option.ini} must be a folder name (no path), got {raw!r}")
    return value


def _checkpoints(option: Option, value: str) -> tuple[str, ...]:
    checkpoints = tuple(part.strip() for part in value.split(","))
    if len(checkpoints) < 2 or not all(checkpoints):
        raise ValueError(f"{option.flag} / {option.ini} takes two or more model references separated by commas, the "
                         f"first being the reference point (e.g. gemma3-270m,gemma3-270m-sft,gemma3-270m-dpo); got {value!r}")
    repeated = sorted({c for c in checkpoints if checkpoints.count(c) > 1})
    if repeated:
        raise ValueError(f"{option.flag} names {', '.join(repeated)} more than once; give each checkpoint once")
    if "stored" in checkpoints:
        raise ValueError(f"{option.flag}: 'stored' stands in for a baseline only; a lineage needs the checkpoints' weights")
    return checkpoints


def _limits(option: Option, parts: list) -> tuple[tuple[str, object], ...]:
    """NAME = value items (each part a string of lines or ';'-separated items; '#' starts a comment) as
    (NAME, value) pairs, a name given twice keeping its later value. A value is a Python literal: a
    number, or numbers separated by commas (a tuple). Whether NAME is a limit, and whether the value is
    of its kind (a count stays an int), the suite checks against its defaults (plugin/suite.py)."""
    found: dict[str, object] = {}
    lines = (line.split("#", 1)[0] for part in parts for line in str(part).splitlines())
    for item in (item.strip() for line in lines for item in line.split(";")):
        if not item:
            continue
        name, equals, text = (piece.strip() for piece in item.partition("="))
        if not equals or not name.isidentifier() or not text:
            raise ValueError(f"{option.flag} / {option.ini}: {item!r} is not NAME = value; write each limit as "
                             "NAME = value, e.g. MAX_ENTROPY_DROP_NATS = 1.5 (several: one a line in the ini file, "
                             "separated by ';' on the command line)")
        try:
            value = ast.literal_eval(text)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            raise ValueError(f"{option.flag} / {option.ini}: {name} = {text}: a limit's value is a number (1.5, 64) "
                             "or numbers separated by commas (0.5, 1.0, 2.0)") from None
        found[name] = tuple(value) if isinstance(value, list) else value
    return tuple(found.items())
