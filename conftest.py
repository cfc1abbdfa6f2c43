"""Settings for this repository's own test runs (tests/ and suites/)."""

import os
from pathlib import Path

# No model hub is reachable; nothing may try one.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# One cache for every run from this checkout, including pytester's subprocesses (pytester moves HOME,
# which would otherwise rebuild the toy models and dequantise the real ones in every inner run).
os.environ.setdefault("WORLDPRIOR_CACHE_DIR", str(Path(__file__).parent / ".worldprior-cache"))

pytest_plugins = ["pytester"]
