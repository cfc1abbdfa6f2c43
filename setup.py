"""The package list, with the repository's ready suite (suites/) mapped into the wheel as pytest_worldprior.suite:
`pytest --worldprior-suite` runs it from an installed package, and the files exist once, in suites/. The rest of
the configuration is in pyproject.toml."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["pytest_worldprior*"]), "pytest_worldprior.suite"],
    package_dir={"pytest_worldprior.suite": "suites"},
)
