"""Stored baselines: what an accepted model measured, kept as JSON beside the tests, so that a candidate
is compared with it without loading the old model.

files (read and write the validated JSON files), codec (measurement results as JSON), gates (the
--worldprior-fail-on rules), session (what one test records and is compared with; it observes the
verdicts the assertions record and the measurements the results cache sees) and stored (the stored
baseline given to the checks in place of the baseline model, `--worldprior-baseline stored`: a
`Recorded`, not a model).
"""

from .files import SCHEMA_PATH, SCHEMA_VERSION, BaselineFileError, read_file, write_file

__all__ = ["SCHEMA_PATH", "SCHEMA_VERSION", "BaselineFileError", "read_file", "write_file"]
