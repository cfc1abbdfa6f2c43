"""The models of one test session: each reference is loaded once, on first use, and released at the end."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from ..backends import load_spec
from ..backends.references import ModelSpec, resolve_reference
from ..errors import ModelLoadError
from .settings import Settings

if TYPE_CHECKING:
    from ..backends.base import Backend


class ModelRegistry:
    def __init__(self, settings: Settings):
        self.settings = settings
        self._models: dict[str, Backend] = {}

    def spec(self, reference: str) -> ModelSpec:
        return resolve_reference(
            reference, allow_pickle=self.settings.allow_pickle, trust_remote_code=self.settings.trust_remote_code
        )

    def get(self, reference: str) -> Backend:
        if reference not in self._models:
            s = self.settings
            self._models[reference] = load_spec(
                self.spec(reference),
                cache_dir=s.cache_dir,
                device=s.device,
                dtype=s.dtype,
                batch_size=s.batch_size,
                chat_fallback=s.chat_fallback,
                threads=threads_per_worker(),
                server={"api_key_env": s.api_key_env, "max_in_flight": s.max_in_flight, "timeout_s": float(s.request_timeout)},
            )
        return self._models[reference]

    def loaded(self) -> dict[str, Backend]:
        return dict(self._models)

    def close(self) -> None:
        for model in self._models.values():
            model.close()
        self._models.clear()


def threads_per_worker() -> int | None:
    """torch threads for this process. Environment variable WORLDPRIOR_THREADS sets it outright: float32
    sums come out a little different (about 1e-7) when the work is split over another number of threads,
    so two runs that must give bit-identical numbers (a serial update of stored baselines and an -n 2
    one) set the same count. Otherwise, under pytest-xdist, the cores are shared among the workers: each
    torch process starts one thread per core, and N workers x N threads on N cores slowed forward passes
    20-30 fold here (spin-waiting)."""
    pinned = os.environ.get("WORLDPRIOR_THREADS", "").strip()
    if pinned:
        if not pinned.isdigit() or int(pinned) < 1:
            raise ModelLoadError(f"WORLDPRIOR_THREADS must be a whole number of threads, at least 1; got {pinned!r}")
        return int(pinned)
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0") or 0)
    if workers < 2:
        return None
    return max(1, (os.cpu_count() or 1) // workers)
