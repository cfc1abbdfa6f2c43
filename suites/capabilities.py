"""Which checks a model can take part in. The exact checks need logits, which a model behind a server
(or a function) does not give: they are skipped with the reason, so that `pytest suites/` against a
server runs everything else (docs/servers.md lists what runs)."""

import pytest


def need_logits(check: str, *models) -> None:
    """Skip the test unless every model gives logits."""
    text_only = [model.info().reference for model in models if not model.gives_logits]
    if text_only:
        pytest.skip(f"{check} needs logits, and {', '.join(text_only)} gives text only")
