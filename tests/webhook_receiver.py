"""A real webhook receiver on 127.0.0.1 for tests: it verifies each request's signature with the Standard
Webhooks library, as a customer's receiver would, and answers as the test scripts it (a status, a delay, a
redirect)."""

from __future__ import annotations

import ssl
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: str
    verified_with: list[str]  # the secrets (of those given to the receiver) whose signature matched
    payload: dict | None


@dataclass
class Answer:
    status: int = 200
    body: str = "ok"
    delay: float = 0.0
    location: str = ""


@dataclass
class WebhookReceiver:
    """``with WebhookReceiver(secrets=[...]) as receiver``: ``receiver.url``, ``receiver.received``; queue answers
    with ``receiver.answer(Answer(...))`` (the default answer is 200 "ok")."""

    secrets: list[str] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    answers: deque = field(default_factory=deque)
    #: (certificate file, key file): serve https instead of http.
    tls: tuple[str, str] | None = None
    host: str = "127.0.0.1"

    def __enter__(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length).decode()
                headers = {k.lower(): v for k, v in self.headers.items()}
                verified, payload = [], None
                for secret in receiver.secrets:
                    try:
                        payload = Webhook(secret).verify(body, headers)
                    except WebhookVerificationError:
                        continue
                    verified.append(secret)
                receiver.received.append(Received(self.path, headers, body, verified, payload))
                answer = receiver.answers.popleft() if receiver.answers else Answer()
                if answer.delay:
                    time.sleep(answer.delay)
                try:
                    self.send_response(answer.status)
                    if answer.location:
                        self.send_header("Location", answer.location)
                    data = answer.body.encode()
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if self.tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self.tls)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        port = self.server.server_address[1]
        return f"{'https' if self.tls else 'http'}://{self.host}:{port}/hooks/riskregistry"

    def answer(self, *answers: Answer) -> None:
        self.answers.extend(answers)
