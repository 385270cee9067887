#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""hold_sessions.py -- open N SMTP sessions and hold them in one state.

Used by tools/bench-appliance.sh to measure the appliance's memory per
session: it reads the daemon's RSS before and after this holds N sessions.

  hold_sessions.py HOST PORT N MODE [--bytes B] [--hold SECONDS] [--source ADDR]

MODE idle:     greeting read, EHLO answered; the session then sits idle.
     tls:      as idle, then STARTTLS and EHLO inside TLS; idle in TLS.
     data:     EHLO, MAIL, RCPT, DATA (354), then B bytes of the body sent
               and no end of data: a transaction held in DATA.
Prints "READY n" once every session reached its state (n that made it),
then holds until killed or --hold seconds passed.
"""
import argparse
import asyncio
import ssl
import sys


async def reply(r):
    while True:
        line = await r.readline()
        if not line:
            raise ConnectionError("closed")
        if line[3:4] != b"-":
            return int(line[:3])


async def session(a, ctx, held, failed):
    try:
        r, w = await asyncio.open_connection(
            a.host, a.port, local_addr=(a.source, 0) if a.source else None)
        if await reply(r) != 220:
            raise ConnectionError("greeting")
        w.write(b"EHLO hold.bench.example\r\n")
        await reply(r)
        if a.mode == "tls":
            w.write(b"STARTTLS\r\n")
            if await reply(r) != 220:
                raise ConnectionError("STARTTLS refused")
            await w.start_tls(ctx)
            w.write(b"EHLO hold.bench.example\r\n")
            await reply(r)
        elif a.mode == "data":
            for c, want in ((b"MAIL FROM:<alice@corp.example>\r\n", 250),
                            (b"RCPT TO:<bob@partner.example>\r\n", 250),
                            (b"DATA\r\n", 354)):
                w.write(c)
                if await reply(r) != want:
                    raise ConnectionError(f"{c!r} refused")
            line = b"Held DATA session payload line 0123456789 abcdefghijklmnopqrstuvwxyz.....\r\n"
            body = b"Subject: held\r\n\r\n" + line * (a.bytes // len(line) + 1)
            w.write(body[: a.bytes])
            await w.drain()
        held.append(w)
    except (OSError, ConnectionError, ssl.SSLError) as e:
        failed.append(str(e))


async def main_async(a):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    held, failed = [], []
    # Open in batches so the listener's SYN backlog is never the question.
    for i in range(0, a.n, 25):
        await asyncio.gather(*(session(a, ctx, held, failed) for _ in range(min(25, a.n - i))))
    # Let the appliance absorb in-flight body bytes before the reading.
    await asyncio.sleep(1.0)
    print(f"READY {len(held)} failed={len(failed)} {failed[:2]}", flush=True)
    await asyncio.sleep(a.hold)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("n", type=int)
    p.add_argument("mode", choices=("idle", "tls", "data"))
    p.add_argument("--bytes", type=int, default=10240)
    p.add_argument("--hold", type=float, default=60)
    p.add_argument("--source", help="local address to connect from")
    a = p.parse_args()
    asyncio.run(main_async(a))
    return 0


if __name__ == "__main__":
    sys.exit(main())
