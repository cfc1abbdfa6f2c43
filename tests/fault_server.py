"""A small real HTTP server on 127.0.0.1 that misbehaves on purpose, for the HTTP client's tests and
benchmark: per request id, the first attempts can answer 500 or 429, drop the connection, or answer
after a delay; then it echoes the request. It logs every attempt and every answer it completed."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FaultServer:
    def __init__(self, faults: dict[int, list[str]] | None = None, *, delay_s: float = 0.0) -> None:
        """`faults`: request id -> what its successive attempts do ("500", "429", "401", "drop", "slow:SECONDS");
        attempts beyond the list succeed. `delay_s`: every answer waits this long (a slow but parallel
        server)."""
        self.faults = faults or {}
        self.delay_s = delay_s
        self.attempts: Counter[int] = Counter()
        self.answered: Counter[int] = Counter()  # 200 answers written out in full, per id
        self.in_flight = self.max_in_flight = 0
        self.headers_seen: list[dict] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FaultServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real servers do

            def log_message(self, *args) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                rid = body.get("id", -1)
                with server._lock:
                    attempt = server.attempts[rid]
                    server.attempts[rid] += 1
                    server.headers_seen.append(dict(self.headers))
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    plan = server.faults.get(rid, [])
                    action = plan[attempt] if attempt < len(plan) else "ok"
                    self._act(action, body, rid)
                finally:
                    with server._lock:
                        server.in_flight -= 1

            def _act(self, action: str, body: dict, rid: int) -> None:
                if action == "drop":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if action.startswith("slow:"):
                    time.sleep(float(action.split(":")[1]))
                    action = "ok"
                if action == "401":
                    key = self.headers.get("Authorization", "").removeprefix("Bearer ")
                    self._send(401, {"error": {"message": f"Incorrect API key provided: {key}"}})
                    return
                if action in ("500", "429"):
                    self._send(int(action), {"error": {"message": f"injected {action}"}},
                               {"Retry-After": "0"} if action == "429" else {})
                    return
                time.sleep(server.delay_s)
                if self._send(200, {"id": rid, "echo": body}):
                    with server._lock:
                        server.answered[rid] += 1

            def _send(self, status: int, document: dict, headers: dict | None = None) -> bool:
                data = json.dumps(document).encode()
                try:
                    self.send_response(status)
                    for name, value in {"Content-Type": "application/json", "Content-Length": str(len(data)),
                                        **(headers or {})}.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                    self.wfile.flush()
                    return True
                except (BrokenPipeError, ConnectionResetError):  # the client timed out and left
                    return False

        return Handler
