#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""smtp_load.py -- a multi-session SMTP load generator with STARTTLS.

smtp-source (Postfix) speaks no TLS, so tools/bench-appliance.sh uses this to
load smtpdlp's STARTTLS listener. One asyncio event loop, one process:
SESSIONS connections run concurrently; each connection sends PER_CONN messages
(MAIL, RCPT, DATA, body, "." in lock step, no pipelining, like smtp-source),
then QUIT; a new connection replaces it until COUNT messages were sent.

  smtp_load.py HOST PORT -s 50 -m 2000 -l 10240 [-d PER_CONN] [--starttls]
               [--resume] [-f FROM] [-t TO]

--starttls upgrades every connection (full handshake each time unless
--resume: then the client offers the last session it got, ticket or ID, the
way an MTA with a TLS session cache does). Certificates are not verified.

Prints one JSON line: messages accepted, failures, wall time, this process's
CPU seconds (user+sys) and TLS handshakes/resumptions. The generator is one
Python thread: messages / cpu_s is its own ceiling on one free core.
"""
import argparse
import asyncio
import json
import resource
import ssl
import sys
import time


class ResumingContext(ssl.SSLContext):
    """An SSLContext whose client connections offer the last session seen.

    asyncio's start_tls calls wrap_bio() without a session argument; this
    adds it, so asyncio connections can resume like ssl.wrap_socket ones.
    """

    last_session = None
    resume = False

    def wrap_bio(self, incoming, outgoing, server_side=False, server_hostname=None,
                 session=None):
        if self.resume and session is None:
            session = self.last_session
        return super().wrap_bio(incoming, outgoing, server_side=server_side,
                                server_hostname=server_hostname, session=session)


class SmtpError(Exception):
    pass


def make_body(size, mail_from, rcpt_to, seq=0):
    head = (f"From: <{mail_from}>\r\nTo: <{rcpt_to}>\r\nSubject: smtp_load {seq}\r\n"
            f"Message-ID: <load-{seq}@bench.example>\r\n\r\n").encode()
    line = b"La-la-la smtp_load bench payload 0123456789 abcdefghijklmnopqrstuvwxyz ABCDEF\r\n"
    n = max(size, 0)
    body = line * (n // len(line)) + line[: n % len(line)]
    if body and not body.endswith(b"\r\n"):
        body = body[:-2] + b"\r\n" if len(body) >= 2 else b"\r\n"
    return head + body + b".\r\n"


class Load:
    def __init__(self, a):
        self.a = a
        self.remaining = a.messages
        self.ok = 0
        self.failed = 0
        self.errors = []
        self.handshakes = 0
        self.resumed = 0
        self.body = make_body(a.length, a.sender, a.rcpt)
        self.ctx = None
        if a.starttls:
            ctx = ResumingContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            ctx.resume = a.resume
            self.ctx = ctx

    async def reply(self, r):
        while True:
            line = await r.readline()
            if not line:
                raise SmtpError("connection closed")
            if line[3:4] != b"-":
                return int(line[:3]), line

    async def cmd(self, r, w, data, expect):
        w.write(data)
        code, line = await self.reply(r)
        if code != expect:
            raise SmtpError(f"{data[:20]!r} -> {line.strip()!r}")

    async def connection(self, k):
        a = self.a
        r, w = await asyncio.open_connection(a.host, a.port)
        sent = 0
        try:
            code, line = await self.reply(r)
            if code != 220:
                raise SmtpError(f"greeting {line!r}")
            await self.cmd(r, w, b"EHLO load.bench.example\r\n", 250)
            if self.ctx is not None:
                await self.cmd(r, w, b"STARTTLS\r\n", 220)
                await w.start_tls(self.ctx)
                so = w.get_extra_info("ssl_object")
                self.handshakes += 1
                if so.session_reused:
                    self.resumed += 1
                if self.ctx.resume and so.session is not None:
                    self.ctx.last_session = so.session
                await self.cmd(r, w, b"EHLO load.bench.example\r\n", 250)
            for _ in range(k):
                await self.cmd(r, w, f"MAIL FROM:<{a.sender}>\r\n".encode(), 250)
                await self.cmd(r, w, f"RCPT TO:<{a.rcpt}>\r\n".encode(), 250)
                await self.cmd(r, w, b"DATA\r\n", 354)
                w.write(self.body)
                await w.drain()
                code, line = await self.reply(r)
                if code != 250:
                    raise SmtpError(f"end of data -> {line.strip()!r}")
                sent += 1
                self.ok += 1
            w.write(b"QUIT\r\n")
            await w.drain()
            try:
                await asyncio.wait_for(self.reply(r), 10)
            except (asyncio.TimeoutError, SmtpError, ConnectionError):
                pass
        finally:
            w.close()
            try:
                await w.wait_closed()
            except (ConnectionError, ssl.SSLError, OSError):
                pass
        return sent

    async def worker(self):
        while self.remaining > 0:
            k = min(self.a.per_conn, self.remaining)
            self.remaining -= k
            try:
                await asyncio.wait_for(self.connection(k), self.a.timeout)
            except (SmtpError, OSError, ssl.SSLError, asyncio.TimeoutError) as e:
                self.failed += 1
                if len(self.errors) < 5:
                    self.errors.append(f"{type(e).__name__}: {e}")

    async def run(self):
        await asyncio.gather(*(self.worker() for _ in range(self.a.sessions)))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("-s", "--sessions", type=int, default=50)
    p.add_argument("-m", "--messages", type=int, default=1000)
    p.add_argument("-l", "--length", type=int, default=10240, help="payload bytes")
    p.add_argument("-d", "--per-conn", type=int, default=1, help="messages per connection")
    p.add_argument("-f", "--sender", default="alice@corp.example")
    p.add_argument("-t", "--rcpt", default="bob@partner.example")
    p.add_argument("--starttls", action="store_true")
    p.add_argument("--resume", action="store_true")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds per connection")
    a = p.parse_args()
    load = Load(a)
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.monotonic()
    asyncio.run(load.run())
    t1 = time.monotonic()
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    print(json.dumps({"messages": load.ok, "failed": load.failed,
                      "elapsed": round(t1 - t0, 4), "cpu_s": round(cpu, 3),
                      "handshakes": load.handshakes, "resumed": load.resumed,
                      "message_bytes": len(load.body) - 3, "errors": load.errors}))
    return 0 if load.failed == 0 and load.ok == a.messages else 1


if __name__ == "__main__":
    sys.exit(main())
