"""The HTTP client of server backends against a real local server that fails on purpose: retries
succeed, timeouts fire, every request is answered exactly once, and the API key never shows."""

import socket
import time

import pytest

from fault_server import FaultServer
from pytest_worldprior.backends.openai import http_client
from pytest_worldprior.backends.openai.http_client import JsonClient, RetryPolicy, ServerError

FAST_RETRY = RetryPolicy(attempts=4, backoff_s=0.01, max_backoff_s=0.05)
KEY = "sk-test-do-not-print-7f3a9c"


def test_retries_after_500_429_drops_and_timeouts_answer_each_request_exactly_once():
    faults = {0: ["500"], 1: ["429", "429"], 2: ["drop"], 3: ["slow:1.0"], 4: ["500", "drop", "500"], 7: ["drop", "drop"]}
    with FaultServer(faults) as server:
        client = JsonClient(server.url, timeout_s=0.4, max_in_flight=4, retry=FAST_RETRY)
        answers = client.post_many("/echo", [{"id": i} for i in range(24)])
        client.close()
    assert [a["id"] for a in answers] == list(range(24))  # one answer per request, in order
    assert set(server.answered.values()) == {1} and len(server.answered) == 24  # none lost, none twice
    assert client.stats.requests == 24
    assert client.stats.retried == {"500": 3, "429": 2, "dropped": 4, "timeout": 1}
    assert client.stats.attempts == 24 + 10 == sum(server.attempts.values())


def test_a_server_that_never_answers_in_time_fails_with_the_timeout_named():
    with FaultServer({0: ["slow:0.5"] * 3}) as server:
        client = JsonClient(server.url, timeout_s=0.15, retry=RetryPolicy(attempts=3, backoff_s=0.01))
        started = time.monotonic()
        with pytest.raises(ServerError, match=r"POST http://127.0.0.1:\d+/v1/echo: gave up after 3 attempts; "
                                              r"the last: no answer within 0.15 s"):
            client.post("/echo", {"id": 0})
        assert time.monotonic() - started < 1.5  # three timeouts, not three full answers
        client.close()


def test_a_host_that_takes_no_connection_fails_on_the_connect_timeout_not_the_answer_timeout(monkeypatch):
    """A listener that never accepts and whose queue is full drops new connections, as a firewall does."""
    monkeypatch.setattr(http_client, "CONNECT_TIMEOUT_S", 0.2)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        queued = []
        for _ in range(8):  # fill the accept queue; later connections hang in the handshake
            waiting = socket.socket()
            waiting.setblocking(False)
            waiting.connect_ex(listener.getsockname())
            queued.append(waiting)
        time.sleep(0.1)
        client = JsonClient(f"http://127.0.0.1:{listener.getsockname()[1]}/v1", timeout_s=60,
                            retry=RetryPolicy(attempts=2, backoff_s=0.01))
        started = time.monotonic()
        with pytest.raises(ServerError, match=r"gave up after 2 attempts; the last: no connection within 0.2 s"):
            client.get("/models")
        assert time.monotonic() - started < 5  # not the 60 s an answer may take
        client.close()
        for waiting in queued:
            waiting.close()


def test_requests_run_concurrently_up_to_the_limit():
    # Each answer waits 1 s, so all 8 are in flight together even on a loaded machine (0.2 s was not
    # always long enough for the 8th to start before the 1st finished).
    with FaultServer(delay_s=1.0) as server:
        client = JsonClient(server.url, max_in_flight=8)
        client.post_many("/echo", [{"id": i} for i in range(16)])
        client.close()
    assert server.max_in_flight == 8


def test_the_key_is_sent_and_a_refusal_is_not_retried_and_never_shows_it():
    with FaultServer({0: ["401"]}) as server:  # the 401 quotes the key it got, as some servers do
        client = JsonClient(server.url, api_key=KEY, retry=FAST_RETRY)
        with pytest.raises(ServerError, match=r"/v1/echo: HTTP 401: Incorrect API key provided: \*\*\*") as refused:
            client.post("/echo", {"id": 0})
        client.close()
    assert server.headers_seen[0]["Authorization"] == f"Bearer {KEY}" and server.attempts[0] == 1
    assert refused.value.status == 401
    assert KEY not in str(refused.value) and KEY not in repr(client)


def test_nobody_listening_fails_at_once_and_says_where():
    with FaultServer() as server:
        url = server.url
    client = JsonClient(url, retry=RetryPolicy(attempts=5, backoff_s=1.0))
    started = time.monotonic()
    with pytest.raises(ServerError, match=r"connection refused. Is the server running at http://127.0.0.1:\d+/v1\?"):
        client.post("/echo", {"id": 0})
    assert time.monotonic() - started < 1.0  # no backoff for a server that is not there
    client.close()


@pytest.mark.parametrize("url", ["ftp://host/v1", "localhost:8000", "http:///v1"])
def test_a_malformed_address_is_refused(url):
    with pytest.raises(ValueError, match="a server address is http://host:port/path"):
        JsonClient(url)
