"""What the server backend learns at load from servers that give less than llama.cpp does: a small real
HTTP server on 127.0.0.1 that caps top log-probabilities (OpenAI's legacy completions API gives at most
5 and answers 400 to more) or gives none, and has no `echo`."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pytest_worldprior.backends.openai.backend import OpenAIServerBackend


class CappedServer:
    """Serves one model; /completions answers 400 when asked for more than `cap` top log-probabilities
    (cap 0: any) or for echo, else one token with `logprobs` top entries. Records what was asked."""

    def __init__(self, cap: int) -> None:
        self.cap, self.asked = cap, []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                self._send(200, {"object": "list", "data": [{"id": "capped", "object": "model"}]})

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                asked = body.get("logprobs") or 0
                server.asked.append(("echo" if body.get("echo") else "top", asked))
                if body.get("echo") or asked > server.cap:
                    self._send(400, {"error": {"message": f"logprobs must be at most {server.cap}; no echo"}})
                    return
                top = {f" w{i}": -1.0 - i for i in range(asked)}
                logprobs = {"tokens": [" w0"], "token_logprobs": [-1.0], "top_logprobs": [top]} if asked else None
                self._send(200, {"choices": [{"text": " w0", "logprobs": logprobs, "finish_reason": "length"}]})

            def _send(self, status: int, document: dict) -> None:
                data = json.dumps(document).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def capped(request):
    server = CappedServer(request.param)
    yield server
    server.close()


def _load(server):
    return OpenAIServerBackend(f"openai+{server.url}#capped", server.url, "capped", api_key_env=None)


@pytest.mark.parametrize("capped", [5], indirect=True)
def test_a_server_that_refuses_20_top_logprobs_is_asked_for_5(capped):
    model = _load(capped)
    try:
        assert model.max_top_logprobs == 5 and model.gives_top_logprobs and not model.scores_prompts
        assert [a for kind, a in capped.asked if kind == "top"] == [20, 5]
        assert [token for token, _ in model.top_logprobs("Hello")] == [f" w{i}" for i in range(5)]
        assert [token for token, _ in model.top_logprobs("Hello", k=2)] == [" w0", " w1"]
    finally:
        model.close()


@pytest.mark.parametrize("capped", [0], indirect=True)
def test_a_server_with_no_log_probabilities_says_so_where_they_are_needed(capped):
    model = _load(capped)
    try:
        assert model.max_top_logprobs == 0 and not model.gives_top_logprobs and not model.scores_prompts
        with pytest.raises(NotImplementedError, match="OpenAIServerBackend .*'gives_top_logprobs'"):
            model.top_logprobs("Hello")
        with pytest.raises(NotImplementedError, match="cannot score a continuation.*'scores_prompts'"):
            model.score(["Hello"], [" world"])
        with pytest.raises(NotImplementedError, match="at most the top 20 next tokens.*'gives_logits'"):
            model.next_token_logprobs(["Hello"])
    finally:
        model.close()
