#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""gen_messages.py — a reproducible mail corpus for the appliance lab tests.

  gen_messages.py gen    DIR [--count 1000] [--seed 5] [--big 30]
      Write DIR/NNNN.eml (CRLF line endings, 7-bit) and DIR/manifest.tsv
      (index, Message-ID, envelope recipient, expect X-DLP-Hold 0/1, size).
      The mix: mostly small text messages, some 64 KB-1 MB, --big of 1-5 MB;
      about a fifth multipart with base64 attachments; some carry two or more
      of the seed's four dictionary terms (in the text, in a different case,
      or only inside a base64-encoded attachment); a few carry one term only
      (below the rule's low threshold); recipients internal (corp.example) or
      external; a few 8-bit UTF-8 bodies; a few with sender-supplied (forged,
      one folded) X-DLP-Hold / X-SMTPDLP-Inspected headers, which must not
      arrive. Lines starting with "." and "From " test the transparency of
      every hop. Filler never contains a dictionary term or a digit run that
      could pass for a card number.
  gen_messages.py send   DIR [--host 127.0.0.1] [--port 25] [--from A]
      Send every message of DIR in one SMTP session (smtplib).
  gen_messages.py verify DIR MAILDIR_NEW
      Compare what the upstream delivered with what was sent. Prints
      "key value" lines (expected, delivered, missing, duplicates, unknown,
      foreign, mismatched, hold_wrong, inspected_missing, forged_kept,
      forged_hold_kept) and offenders on stderr.

Delivered files are compared after removing only the header fields added on
the way (Return-Path, Delivered-To, Received, X-Original-To and the
appliance's X-SMTPDLP-Inspected / X-DLP-Hold) and normalising CRLF to LF
(maildir files are LF).
"""
import argparse
import base64
import os
import random
import re
import smtplib
import sys
import time

TERMS = ["Customer", "Account Manager", "Sales Engineer", "Purchase date"]
WORDS = ("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod "
         "tempor incididunt ut labore et dolore magna aliqua enim ad minim veniam "
         "quis nostrud exercitation ullamco laboris nisi aliquip ex ea commodo "
         "consequat duis aute irure in reprehenderit voluptate velit esse cillum "
         "fugiat nulla pariatur excepteur sint occaecat cupidatat non proident sunt "
         "culpa qui officia deserunt mollit anim id est laborum quarterly roadmap "
         "meeting notes release planning budget review travel lunch team offsite "
         "kernel packet latency throughput benchmark draft agenda minutes").split()
INTERNAL = ["frank@corp.example", "grace@corp.example", "heidi@corp.example"]
EXTERNAL = ["bob@partner.example", "carol@gmail.example", "dave@supplier.example"]
STRIP = {"return-path", "delivered-to", "received", "x-original-to",
         "x-smtpdlp-inspected", "x-dlp-hold"}


def filler(rng, nbytes):
    """Text lines of at most 76 characters, about nbytes long, CRLF."""
    out = []
    n = 0
    while n < nbytes:
        k = rng.randint(4, 12)
        line = " ".join(rng.choice(WORDS) for _ in range(k))
        r = rng.random()
        if r < 0.01:
            line = "." + line            # dot-stuffed on the wire
        elif r < 0.015:
            line = "From " + line        # mbox-style From_ line
        elif r < 0.02:
            line = ""                    # blank line
        out.append(line)
        n += len(line) + 2
    return "\r\n".join(out) + "\r\n"


def b64_lines(data):
    s = base64.b64encode(data).decode()
    return "\r\n".join(s[i:i + 76] for i in range(0, len(s), 76)) + "\r\n"


def pick_size(rng, i, big_set):
    if i in big_set:
        return rng.randint(1 << 20, 5 * (1 << 20) - 65536)
    r = rng.random()
    if r < 0.72:
        return rng.randint(300, 4096)
    if r < 0.95:
        return rng.randint(4096, 65536)
    return rng.randint(65536, 1 << 20)


def make_message(rng, i, big_set):
    size = pick_size(rng, i, big_set)
    internal = rng.random() < 0.3
    rcpt = rng.choice(INTERNAL if internal else EXTERNAL)
    r = rng.random()
    terms = []
    where = "text"
    if r < 0.15:
        terms = rng.sample(TERMS, rng.randint(2, 4))
    elif r < 0.19:
        terms = rng.sample(TERMS, rng.randint(2, 4))
        where = "attachment"
    elif r < 0.22:
        terms = rng.sample(TERMS, 1)     # one unique term: below "low" (2)
    multipart = where == "attachment" or rng.random() < 0.2 or (i in big_set and rng.random() < 0.6)
    eightbit = not multipart and rng.random() < 0.04
    forged = rng.random() < 0.03
    msgid = "<lab5-%04d-%08x@corp.example>" % (i, rng.getrandbits(32))
    hold = len(terms) >= 2 and not internal

    def term_lines():
        out = []
        for t in terms:
            v = rng.choice([t, t.lower(), t.upper()])
            out.append("%s: %s %s" % (v, rng.choice(WORDS).capitalize(), rng.choice(WORDS)))
        return "\r\n".join(out) + "\r\n"

    hdr = ("From: Alice Example <alice@corp.example>\r\n"
           "To: Recipient <%s>\r\n"
           "Subject: lab5 message %04d\r\n"
           "Date: Sat, 28 Nov 2026 10:00:00 +0000\r\n"
           "Message-ID: %s\r\n"
           "MIME-Version: 1.0\r\n") % (rcpt, i, msgid)
    if forged:
        # Sender-supplied copies of the appliance's headers (one folded):
        # the appliance removes them; only its own may arrive.
        hdr += ("X-DLP-Hold: forged by the sender\r\n\tcontinued\r\n"
                "X-SMTPDLP-Inspected: forged\r\n")
    if not multipart:
        body = filler(rng, max(0, size // 2))
        if eightbit:
            body += "Gr\u00fc\u00dfe aus Z\u00fcrich \u2013 \u65e5\u672c\u8a9e \u0444\u0430\u0439\u043b\r\n"
        if terms:
            body += term_lines()
        body += filler(rng, max(0, size - len(hdr) - len(body)))
        msg = hdr + ("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                     if eightbit else "Content-Type: text/plain; charset=us-ascii\r\n\r\n") + body
    else:
        b = "=_lab5_%08x" % rng.getrandbits(32)
        text = filler(rng, rng.randint(200, 2000))
        if terms and where == "text":
            text += term_lines()
        parts = ["--%s\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n%s" % (b, text)]
        remaining = max(1000, size - len(hdr) - len(text) - 400)
        natt = 1 if remaining < 200000 else rng.randint(1, 3)
        for k in range(natt):
            raw_len = remaining * 3 // 4 // natt
            if where == "attachment" and k == 0:
                data = (filler(rng, raw_len // 2) + term_lines() + filler(rng, raw_len // 2)).encode()
                ctype, name = "text/plain; charset=us-ascii", "notes-%d.txt" % k
            else:
                data = rng.randbytes(raw_len)
                ctype, name = "application/octet-stream", "blob-%d.bin" % k
            parts.append("--%s\r\nContent-Type: %s; name=\"%s\"\r\n"
                         "Content-Transfer-Encoding: base64\r\n"
                         "Content-Disposition: attachment; filename=\"%s\"\r\n\r\n%s"
                         % (b, ctype, name, name, b64_lines(data)))
        msg = (hdr + "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n" % b
               + "This is a multi-part message in MIME format.\r\n\r\n"
               + "".join(parts) + "--%s--\r\n" % b)
    return msgid, rcpt, hold, msg.encode("utf-8")


def cmd_gen(a):
    rng = random.Random(a.seed)
    os.makedirs(a.dir, exist_ok=True)
    big_set = set(rng.sample(range(a.count), min(a.big, a.count)))
    total = 0
    with open(os.path.join(a.dir, "manifest.tsv"), "w") as man:
        for i in range(a.count):
            msgid, rcpt, hold, data = make_message(rng, i, big_set)
            with open(os.path.join(a.dir, "%04d.eml" % i), "wb") as f:
                f.write(data)
            man.write("%04d\t%s\t%s\t%d\t%d\n" % (i, msgid, rcpt, hold, len(data)))
            total += len(data)
    print("generated %d messages, %d bytes" % (a.count, total))


def manifest(d):
    rows = []
    with open(os.path.join(d, "manifest.tsv")) as f:
        for line in f:
            idx, msgid, rcpt, hold, size = line.rstrip("\n").split("\t")
            rows.append((idx, msgid, rcpt, hold == "1", int(size)))
    return rows


def cmd_send(a):
    rows = manifest(a.dir)
    t0 = time.time()
    s = smtplib.SMTP(a.host, a.port, timeout=120)
    s.ehlo("injector.corp.example")
    sent = 0
    for idx, msgid, rcpt, hold, size in rows:
        with open(os.path.join(a.dir, idx + ".eml"), "rb") as f:
            data = f.read()
        try:
            s.sendmail(a.sender, [rcpt], data)
            sent += 1
        except smtplib.SMTPException as e:
            print("message %s refused: %s" % (idx, e), file=sys.stderr)
    s.quit()
    print("sent %d of %d in %.1f s" % (sent, len(rows), time.time() - t0))
    return 0 if sent == len(rows) else 1


def split_header(data):
    """(header fields [(name, raw bytes)], body) of an LF message."""
    pos = data.find(b"\n\n")
    if pos < 0:
        return None, data
    head, body = data[:pos + 1], data[pos + 2:]
    fields = []
    for line in head.splitlines(keepends=True):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1][1] += line
        else:
            fields.append([line.split(b":", 1)[0].strip().lower().decode("latin-1"), line])
    return fields, body


def cmd_verify(a):
    rows = manifest(a.dir)
    byid = {r[1]: r for r in rows}
    seen = {}
    unknown = foreign = mismatched = hold_wrong = insp_missing = forged_kept = forged_hold_kept = 0
    for name in sorted(os.listdir(a.maildir)):
        with open(os.path.join(a.maildir, name), "rb") as f:
            data = f.read()
        fields, body = split_header(data)
        if fields is None:
            unknown += 1
            continue
        mid = None
        for fn, raw in fields:
            if fn == "message-id":
                mid = raw.split(b":", 1)[1].strip().decode("latin-1")
        if mid not in byid:               # not part of this corpus
            foreign += 1
            subj = [raw for fn, raw in fields if fn in ("subject", "from", "message-id")]
            print("foreign: %s %r" % (name, b"".join(subj)[:300]), file=sys.stderr)
            continue
        seen[mid] = seen.get(mid, 0) + 1
        idx, _, rcpt, hold, _ = byid[mid]
        names = [fn for fn, _ in fields]
        with open(os.path.join(a.dir, idx + ".eml"), "rb") as f:
            want = f.read().replace(b"\r\n", b"\n")
        wf, wb = split_header(want)
        forged = any(fn == "x-dlp-hold" for fn, _ in wf)
        ours = [raw for fn, raw in fields
                if fn == "x-dlp-hold" and raw.rstrip() == b"X-DLP-Hold: Customer email Hold"]
        others = [raw for fn, raw in fields if fn == "x-dlp-hold" and raw not in ours]
        if forged and not hold and others:
            # The sender's own X-DLP-Hold, the policy did not fire: counted
            # apart (see tests/lab/test_appliance_postfix.sh).
            forged_hold_kept += 1
            print("sender's X-DLP-Hold kept: %s" % idx, file=sys.stderr)
        elif bool(ours) != hold or others:
            hold_wrong += 1
            print("hold: %s expected %s got %r" % (idx, hold, ours + others), file=sys.stderr)
        if "x-smtpdlp-inspected" not in names:
            insp_missing += 1
            print("inspected missing: %s" % idx, file=sys.stderr)
        if len(ours) > 1 or names.count("x-smtpdlp-inspected") > 1 or (hold and others):
            forged_kept += 1
            print("appliance headers not unique: %s" % idx, file=sys.stderr)
        kept = b"".join(raw for fn, raw in fields if fn not in STRIP)
        got = kept + b"\n" + body
        # sent copies of the appliance's headers go
        want = b"".join(raw for fn, raw in wf if fn not in STRIP) + b"\n" + wb
        if got != want:
            mismatched += 1
            if mismatched <= 5:
                at = next((k for k in range(min(len(got), len(want))) if got[k] != want[k]),
                          min(len(got), len(want)))
                print("mismatch: %s (sent %d bytes, got %d; first difference at %d: sent %r got %r)"
                      % (idx, len(want), len(got), at, want[max(0, at - 40):at + 40],
                         got[max(0, at - 40):at + 40]), file=sys.stderr)
    missing = [r[0] for r in rows if r[1] not in seen]
    dups = sum(1 for v in seen.values() if v > 1)
    if missing:
        print("missing: %s%s" % (" ".join(missing[:20]), " ..." if len(missing) > 20 else ""),
              file=sys.stderr)
    print("expected %d" % len(rows))
    print("delivered %d" % sum(seen.values()))
    print("missing %d" % len(missing))
    print("duplicates %d" % dups)
    print("unknown %d" % unknown)
    print("foreign %d" % foreign)
    print("mismatched %d" % mismatched)
    print("hold_wrong %d" % hold_wrong)
    print("hold_expected %d" % sum(1 for r in rows if r[3]))
    print("inspected_missing %d" % insp_missing)
    print("forged_kept %d" % forged_kept)
    print("forged_hold_kept %d" % forged_hold_kept)
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen")
    g.add_argument("dir")
    g.add_argument("--count", type=int, default=1000)
    g.add_argument("--seed", type=int, default=5)
    g.add_argument("--big", type=int, default=30)
    s = sub.add_parser("send")
    s.add_argument("dir")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=25)
    s.add_argument("--from", dest="sender", default="alice@corp.example")
    v = sub.add_parser("verify")
    v.add_argument("dir")
    v.add_argument("maildir")
    a = p.parse_args()
    return {"gen": cmd_gen, "send": cmd_send, "verify": cmd_verify}[a.cmd](a) or 0


if __name__ == "__main__":
    sys.exit(main())
