"""A real OpenAI-compatible server for the tests: llama-cpp-python's, serving the bundled SmolLM2 .gguf
on 127.0.0.1 at a free port. scripts/test.sh installs it (a source build, CMAKE_ARGS=-DGGML_NATIVE=OFF)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

MODEL_NAME = "smollm2"
START_TIMEOUT_S = 120
KEY_ENV = "WORLDPRIOR_TEST_SERVER_KEY"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LlamaServer:
    def __init__(self, gguf: Path, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.reference = f"openai+{self.url}#{MODEL_NAME}"
        self.key_env = KEY_ENV
        self.key = "sk-worldprior-test-" + os.urandom(8).hex()  # the server refuses any other
        command = [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--model_alias", MODEL_NAME,
                   "--host", "127.0.0.1", "--port", str(self.port), "--n_ctx", "2048", "--logits_all", "true",
                   "--n_threads", str(os.cpu_count() or 1), "--verbose", "false", "--api_key", self.key]
        self._log = log.open("w")
        self.process = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT)

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"llama-cpp-python's server exited with {self.process.returncode}; see {self._log.name}")
            try:
                asking = urllib.request.Request(f"{self.url}/models", headers={"Authorization": f"Bearer {self.key}"})
                with urllib.request.urlopen(asking, timeout=2) as answer:
                    if MODEL_NAME in {m["id"] for m in json.load(answer)["data"]}:
                        return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"llama-cpp-python's server did not answer within {START_TIMEOUT_S} s; see {self._log.name}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()
