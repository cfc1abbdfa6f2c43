"""JSON over HTTP for server backends: a pool of keep-alive connections, requests in flight up to a
limit, timeouts, and retries with backoff on 429, 5xx, timeouts and dropped connections.

Standard library only. Each worker thread of the pool keeps its own connection (`http.client` is not
thread-safe), so `max_in_flight` is both the concurrency and the pool size. `post_many` returns one
answer per body, in order: a retried request replaces its failed attempt, never adds to it, so no
result is lost or counted twice.

The API key is sent as a bearer token and appears in no message, repr or exception this module makes.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import socket
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ...errors import WorldpriorError

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
CONNECT_TIMEOUT_S = 10.0  # to open a connection; answers get the client's own timeout
_DROPPED = (ConnectionError, http.client.RemoteDisconnected, http.client.IncompleteRead, http.client.BadStatusLine)


class _ConnectTimeout(Exception):
    """Opening the connection took longer than CONNECT_TIMEOUT_S."""


class ServerError(WorldpriorError):
    """The server could not give an answer: unreachable, refusing, or failing after every retry."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5  # in all, the first one included
    backoff_s: float = 0.5  # before the second attempt; doubles each time
    max_backoff_s: float = 8.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based); a server's Retry-After wins."""
        if retry_after is not None:
            return min(retry_after, self.max_backoff_s)
        return min(self.backoff_s * 2 ** (attempt - 1), self.max_backoff_s)


@dataclass
class ClientStats:
    requests: int = 0  # logical requests answered
    attempts: int = 0  # HTTP attempts made, retries included
    retried: dict[str, int] = field(default_factory=dict)  # why: "429", "500", "timeout", "dropped"

    def count_retry(self, reason: str) -> None:
        self.retried[reason] = self.retried.get(reason, 0) + 1


class JsonClient:
    def __init__(self, base_url: str, *, api_key: str | None = None, timeout_s: float = 60.0, max_in_flight: int = 8,
                 retry: RetryPolicy = RetryPolicy()) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"a server address is http://host:port/path or https://..., got {base_url!r}")
        if max_in_flight < 1 or timeout_s <= 0:
            raise ValueError(f"need max_in_flight >= 1 and timeout_s > 0, got {max_in_flight} and {timeout_s}")
        self.base_url = f"{parts.scheme}://{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}{parts.path.rstrip('/')}"
        self._scheme, self._host, self._port = parts.scheme, parts.hostname, parts.port
        self._prefix = parts.path.rstrip("/")
        self._headers = {"Content-Type": "application/json", "Accept": "application/json"}
        self._secret = api_key or None
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"
        self.timeout_s, self.max_in_flight, self.retry = timeout_s, max_in_flight, retry
        self.stats = ClientStats()
        self._lock = threading.Lock()
        self._local = threading.local()
        self._pool = ThreadPoolExecutor(max_in_flight, thread_name_prefix="worldprior-http")

    def __repr__(self) -> str:  # never the headers: they hold the key
        return f"JsonClient({self.base_url!r}, max_in_flight={self.max_in_flight}, timeout_s={self.timeout_s})"

    def get(self, path: str) -> dict:
        return self._request("GET", path, None)

    def post(self, path: str, body: dict) -> dict:
        return self._request("POST", path, body)

    def post_many(self, path: str, bodies: Sequence[dict]) -> list[dict]:
        """One answer per body, in order, with up to max_in_flight requests at once."""
        return list(self._pool.map(lambda body: self.post(path, body), bodies))

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    # --- one logical request, with retries ---------------------------------------------------------

    def _request(self, method: str, path: str, body: dict | None) -> dict:
        payload = None if body is None else json.dumps(body).encode()
        where = f"{method} {self.base_url}{path}"
        for attempt in range(1, self.retry.attempts + 1):
            with self._lock:
                self.stats.attempts += 1
            try:
                status, headers, data = self._send(method, path, payload)
            except _ConnectTimeout:
                reason, retry_after, detail = "timeout", None, f"no connection within {min(CONNECT_TIMEOUT_S, self.timeout_s):g} s"
            except (TimeoutError, socket.timeout):
                reason, retry_after, detail = "timeout", None, f"no answer within {self.timeout_s:g} s"
            except ConnectionRefusedError:
                self._forget_connection()
                raise ServerError(f"{where}: connection refused. Is the server running at {self.base_url}?") from None
            except _DROPPED as exc:
                reason, retry_after, detail = "dropped", None, f"connection dropped ({type(exc).__name__})"
            except OSError as exc:  # refused, unreachable, unknown host: retrying will not help
                self._forget_connection()
                raise ServerError(f"{where}: cannot connect ({exc.strerror or exc}). Is the server running at "
                                  f"{self.base_url}?") from None
            else:
                if status < 400:
                    with self._lock:
                        self.stats.requests += 1
                    return _json(data, where)
                if status not in RETRY_STATUSES:
                    raise ServerError(f"{where}: HTTP {status}: {self._message(data)}", status)
                reason, retry_after, detail = str(status), _retry_after(headers), f"HTTP {status}: {self._message(data)}"
            self._forget_connection()
            with self._lock:
                self.stats.count_retry(reason)
            if attempt == self.retry.attempts:
                raise ServerError(f"{where}: gave up after {attempt} attempts; the last: {detail}",
                                  int(reason) if reason.isdigit() else None)
            time.sleep(self.retry.delay(attempt, retry_after))
        raise AssertionError("unreachable")

    def _send(self, method: str, path: str, payload: bytes | None) -> tuple[int, http.client.HTTPMessage, bytes]:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            kind = http.client.HTTPSConnection if self._scheme == "https" else http.client.HTTPConnection
            connection = kind(self._host, self._port, timeout=min(CONNECT_TIMEOUT_S, self.timeout_s))
            try:
                connection.connect()  # a host that drops packets fails here, in seconds, not after timeout_s
            except (TimeoutError, socket.timeout):
                raise _ConnectTimeout from None
            connection.sock.settimeout(self.timeout_s)
            self._local.connection = connection
        connection.request(method, self._prefix + path, body=payload, headers=self._headers)
        response = connection.getresponse()
        return response.status, response.headers, response.read()

    def _message(self, data: bytes) -> str:
        return _server_message(data, self._secret)

    def _forget_connection(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None


def _json(data: bytes, where: str) -> dict:
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise ServerError(f"{where}: the answer is not JSON: {data[:200]!r}") from None


def _server_message(data: bytes, secret: str | None = None) -> str:
    """The error text a server sent, shortened (OpenAI-style {"error": {"message": ...}} where there is
    one), with the key blanked out first: some servers quote the key they refused."""
    try:
        document = json.loads(data)
        error = document.get("error", document) if isinstance(document, dict) else document
        text = error.get("message", error) if isinstance(error, dict) else error
    except (ValueError, UnicodeDecodeError):
        text = data.decode("utf-8", "replace")
    text = str(text).strip()
    if secret:
        text = text.replace(secret, "***")
    return text[:300] + ("..." if len(text) > 300 else "") if text else "(no message)"


def _retry_after(headers: http.client.HTTPMessage) -> float | None:
    value = headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        moment = email.utils.parsedate_to_datetime(value)
        return max(0.0, moment.timestamp() - time.time()) if moment else None
