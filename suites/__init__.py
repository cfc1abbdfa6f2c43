"""The ready suite: behavioural checks of a candidate model against its baseline (docs/suite-checks.md).

A package, so that its conftest.py imports thresholds.py as `.thresholds` under every import mode
(`--import-mode=importlib` included) and no other module named `thresholds` can stand in for it. The test
modules import nothing from the suite: they ask for the fixtures of conftest.py (`limits`, `need_logits`).
"""
