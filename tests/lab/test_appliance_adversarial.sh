#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# test_appliance_adversarial.sh — the hostile customer: abusive SMTP,
# DLP evasion tricks and a misbehaving upstream against the appliance on
# DPDK (lab prefix "adv", its own namespaces and directory).
#
# 1. SMTP abuse (raw Python sockets, smtplib, swaks, smtp-source, the
#    sender Postfix): whole transactions pipelined in one write, RSET/NOOP
#    mid-transaction, duplicate and too many RCPTs, dot-stuffing and
#    CRLF.CRLF split across segments, a message sent one byte per segment,
#    over-long text and command lines, NUL / bare CR in commands,
#    AUTH/VRFY/EXPN/HELP/XCLIENT, parameter abuse, STARTTLS after MAIL, HTTP
#    on port 25, senders that close or reset mid-DATA, BDAT edge cases, 40
#    parallel sessions across 10 SIGHUP reloads, stalled senders (plain,
#    STARTTLS, implicit TLS) dropped after the command timeout, a NOOP flood
#    (junk command allowance), forged appliance headers behind a long
#    header name or a line that is no header, EHLO+QUIT in one segment
#    (adopts and re-parks a pooled upstream connection), 90 sessions of
#    random command soup.
# 2. DLP evasion: the seed's four dictionary terms hidden with encodings,
#    HTML, charsets, nesting, archives and typographic punctuation; each
#    must be held (X-DLP-Hold) or refused as unscannable (451); card
#    numbers grouped by &nbsp; or dashes are blocked (550). Known open
#    bypasses in files another engineer owns are expected failures (xfail),
#    counted at the end.
# 3. A scripted upstream in place of Postfix: 4xx/5xx at MAIL, DATA and
#    end of data, a close after the message, a slow final reply within and
#    beyond timeouts.upstream, BDAT relayed as DATA with dot-stuffing.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
t_require
export LAB_NS=${LAB_NS:-adv}
export LAB_DIR=${LAB_DIR:-$t_top/.lab-adv}
export LAB_MAX_RCPTS=20 LAB_CMD_TIMEOUT=8 LAB_UP_TIMEOUT=8
. "$t_top/tools/lab/appliance.sh"
set +e
fake_pid=
cleanup() {
	[ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null
	lab_down
}
trap cleanup EXIT
lab_up && kill -0 "$(cat "$LAB_DIR/smtpdlp.pid" 2>/dev/null)" 2>/dev/null ||
	{ echo "lab did not come up"; tail -5 "$LAB_DIR/smtpdlp.log"; exit 1; }
T0=$(date +%s)
APP=$APP_IN_IP
MD=$LAB_DIR/upstream/mail/sink/new
PY=$LAB_DIR/adv.py
t_xpass=0
t_xfail=0

# t_xfail NAME COMMAND...: a known open bug; its passing is news.
t_xfail() {
	local name=$1
	shift
	if "$@"; then
		t_xpass=$((t_xpass + 1))
		echo "XPASS - $name (known bug no longer reproduces: move it to t_check)"
	else
		t_xfail=$((t_xfail + 1))
		echo "xfail - $name"
	fi
}

cat >"$PY" <<'PY'
# Raw SMTP conversations for test_appliance_adversarial.sh: each
# subcommand checks the replies, prints what went wrong to stderr and
# exits 0 (the appliance behaved) or 1.
import base64, io, os, random, re, socket, ssl, struct, sys, tarfile, threading, time, zipfile

HOST = sys.argv[1]
CMD = sys.argv[2]
ARGS = sys.argv[3:]
MF = b"MAIL FROM:<alice@corp.example>\r\n"
RT = b"RCPT TO:<bob@partner.example>\r\n"
bad = []


class C:
    def __init__(self, port=25, timeout=30):
        self.s = socket.create_connection((HOST, port), timeout=timeout)
        self.buf = b""

    def send(self, d):
        self.s.sendall(d)

    def reply(self):
        lines = []
        while True:
            while b"\r\n" not in self.buf:
                c = self.s.recv(65536)
                if not c:
                    return None, lines + ["<closed>"]
                self.buf += c
            l, self.buf = self.buf.split(b"\r\n", 1)
            lines.append(l.decode("utf-8", "replace"))
            if len(l) < 4 or l[3:4] != b"-":
                return int(l[:3]), lines

    def codes(self, n):
        return [self.reply()[0] for _ in range(n)]

    def tls(self):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        self.s = ctx.wrap_socket(self.s)
        self.buf = b""

    def ehlo(self, name=b"adv.corp.example"):
        self.reply()
        self.send(b"EHLO " + name + b"\r\n")
        return self.reply()


def expect(what, got, want):
    if got != want:
        bad.append("%s: got %r, want %r" % (what, got, want))


def msg(subj, body=b"hello\r\n", extra=b""):
    return (b"From: <alice@corp.example>\r\nTo: <bob@partner.example>\r\nSubject: " + subj +
            b"\r\nMessage-ID: <" + subj + b"." + str(time.time()).encode() + b"@adv>\r\n" +
            extra + b"\r\n" + body)


def done():
    for b in bad:
        print("  " + b, file=sys.stderr)
    sys.exit(1 if bad else 0)


if CMD == "pipeline":
    c = C()
    c.ehlo()
    c.send(MF + RT + b"DATA\r\n" + msg(b"adv-pipe-1") + b".\r\n" + MF + RT + b"DATA\r\n" +
           msg(b"adv-pipe-2") + b".\r\nQUIT\r\n")
    expect("two transactions and QUIT in one write", c.codes(9),
           [250, 250, 354, 250, 250, 250, 354, 250, 221])
elif CMD == "rset":
    c = C()
    c.ehlo()
    c.send(MF + RT + b"RSET\r\nNOOP\r\nRCPT TO:<x@partner.example>\r\n" + MF + RT + RT +
           b"NOOP\r\nDATA\r\n")
    expect("RSET/NOOP mid-transaction, duplicate RCPT", c.codes(10),
           [250, 250, 250, 250, 503, 250, 250, 250, 250, 354])
    c.send(msg(b"adv-rset") + b".\r\n")
    expect("message after RSET", c.reply()[0], 250)
elif CMD == "rcpts":
    n = int(ARGS[0])
    c = C()
    c.ehlo()
    c.send(MF + b"".join(b"RCPT TO:<r%d@partner.example>\r\n" % i for i in range(n + 5)) +
           b"DATA\r\n")
    expect("%d RCPTs in one write (limit %d)" % (n + 5, n), c.codes(n + 7),
           [250] * (n + 1) + [452] * 5 + [354])
    c.send(msg(b"adv-rcpts") + b".\r\n")
    expect("message to the accepted recipients", c.reply()[0], 250)
elif CMD == "dots":
    # ".." lines, a lone "." (stuffed), ". ", and CRLF "." CRLF arriving in
    # four segments with pauses.
    c = C()
    c.ehlo()
    c.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    c.send(MF + RT + b"DATA\r\n")
    expect("DATA", c.codes(3), [250, 250, 354])
    c.send(msg(b"adv-dots", b"...a\r\n..\r\n....\r\n. x\r\n.y.\r\nend"))
    for piece in (b"\r\n", b".", b"\r", b"\n"):
        time.sleep(0.2)
        c.send(piece)
    expect("end of data split over four segments", c.reply()[0], 250)
elif CMD == "bytewise":
    c = C()
    c.ehlo()
    c.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for b in MF + RT + b"DATA\r\n" + msg(b"adv-bytewise", b"..one\r\nbyte\r\n") + b".\r\n":
        c.send(bytes([b]))
        time.sleep(0.001)
    expect("a message one byte per segment", c.codes(4), [250, 250, 354, 250])
elif CMD == "longline":
    c = C()
    c.ehlo()
    c.send(MF + RT + b"DATA\r\n")
    c.codes(3)
    c.send(msg(b"adv-longline", b"x" * 1200 + b"\r\n") + b".\r\n")
    r = c.reply()
    expect("1200-byte text line", (r[0], r[1][0][:9]), (550, "550 5.6.0"))
    c.send(b"NOOP\r\n")
    expect("session goes on after the refusal", c.reply()[0], 250)
    # 998 bytes starting with "." are 999 on the wire: legal (RFC 5321
    # 4.5.3.1.6 does not count the stuffing dot)
    c.send(MF + RT + b"DATA\r\n")
    c.codes(3)
    c.send(msg(b"adv-998-dot", b".." + b"x" * 997 + b"\r\n") + b".\r\n")
    expect("998-byte line starting with a dot", c.reply()[0], 250)
elif CMD == "commands":
    c = C()
    c.ehlo()
    for cmd, want in [(b"AUTH PLAIN AGFsaWNlAHNlY3JldA==", 502), (b"VRFY bob", 502),
                      (b"EXPN staff", 502), (b"HELP", 214), (b"ETRN corp.example", 502),
                      (b"XCLIENT ADDR=203.0.113.9", 502), (b"NOOP\rRSET", 500),
                      (b"NO\x00OP", 500), (b"EHLO " + b"h" * 300, 250),
                      (b"EHLO " + b"h" * 600, 500), (b"NOOP", 250),
                      (b"MAIL FROM:<a@corp.example> SIZE=abc", 501),
                      (b"MAIL FROM:<a@corp.example> SIZE=99999999999", 552),
                      (b"MAIL FROM:<\xc3\xa9@corp.example>", 553),
                      (b"MAIL FROM:<a@corp.example> BODY=BINARYMIME", 501),
                      (b"MAIL FROM:<a@corp.example> SMTPUTF8", 250),
                      (b"RCPT TO:<\xc3\xa9@partner.example>", 250), (b"RSET", 250),
                      (b"MAIL FROM:<a@corp.example> X-EVIL=1", 555),
                      (b"RCPT TO:<b@partner.example>", 503), (b"DATA", 503), (b"QUIT", 221)]:
        c.send(cmd + b"\r\n")
        expect(repr(cmd[:40]), c.reply()[0], want)
elif CMD == "ehlo-quit":
    # a message (its upstream connection is pooled at QUIT), then sessions
    # that send EHLO and QUIT in one segment, as health checks do: the
    # pooled connection is adopted and parked again at once (this crashed
    # the daemon)
    c = C()
    c.ehlo()
    c.send(MF + RT + b"DATA\r\n")
    c.codes(3)
    c.send(msg(b"adv-before-ehlo-quit") + b".\r\nQUIT\r\n")
    expect("message, QUIT", c.codes(2), [250, 221])
    time.sleep(0.3)
    for k in range(3):
        c = C()
        c.send(b"EHLO x\r\nQUIT\r\n")
        expect("EHLO+QUIT in one segment", c.codes(3), [220, 250, 221])
    time.sleep(0.3)
    c = C()
    expect("a session after them", c.ehlo()[0], 250)
elif CMD == "fuzz":
    # random command soup, binary garbage, random reads, resets; the
    # appliance must keep serving
    rnd = random.Random(int(ARGS[0]))
    pieces = [b"EHLO x\r\n", b"HELO y\r\n", MF, b"MAIL FROM:<> SIZE=10 BODY=8BITMIME\r\n", RT,
              b"RCPT TO:<carol@gmail.example> NOTIFY=NEVER\r\n", b"DATA\r\n", b"BDAT 10\r\n",
              b"BDAT 0 LAST\r\n", b"BDAT 5 LAST\r\n", b"RSET\r\n", b"NOOP\r\n", b"QUIT\r\n",
              b"STARTTLS\r\n", b"VRFY x\r\n", b"Subject: hi\r\n", b".\r\n", b"..\r\n", b"\r\n.\r\n",
              b"\n.\n", b"\r.\r", b"Customer Account Manager\r\n", b"x" * 600 + b"\r\n", b"\x00\xff\xfe",
              b"\r\n", b".", b"\r", b"\n", b"MAIL FROM:<\xc3\xa9@x> SMTPUTF8\r\n", b"AUTH LOGIN\r\n",
              b"GET / HTTP/1.0\r\n", b"BDAT 99999999999999999999\r\n", b"RCPT TO:<>\r\n",
              b"Content-Type: multipart/mixed; boundary=X\r\n\r\n--X\r\n", b"\x16\x03\x01\x00\x10"]

    def one(i):
        try:
            c = C(timeout=15)
            for k in range(rnd.randint(1, 40)):
                data = b"".join(rnd.choice(pieces) for _ in range(rnd.randint(1, 8)))
                if rnd.random() < 0.1:
                    data = os.urandom(rnd.randint(1, 200))
                c.send(data)
                if rnd.random() < 0.3:
                    c.s.settimeout(0.05)
                    try:
                        c.s.recv(65536)
                    except OSError:
                        pass
                    c.s.settimeout(15)
            if rnd.random() < 0.3:
                c.s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            c.s.close()
        except OSError:
            pass
    for _ in range(3):
        th = [threading.Thread(target=one, args=(i,)) for i in range(30)]
        [t.start() for t in th]
        [t.join() for t in th]
    time.sleep(0.5)
    c = C()
    expect("a session after the fuzzing", c.ehlo()[0], 250)
elif CMD == "noops":
    # 100 junk commands are free, then each is an error too: 120 answered
    # 250, then 421 and the end of the session
    c = C()
    c.ehlo()
    c.send(b"NOOP\r\n" * 200)
    codes = []
    while True:
        r = c.reply()
        codes.append(r[0])
        if r[0] != 250:
            break
    expect("200 NOOPs", (codes.count(250), codes[-1], c.reply()[0]), (120, 421, None))
elif CMD == "smtplib":
    # Python's own client: STARTTLS, a message built by the email package
    # with the seed's terms in a zip attachment with an RFC 2231 name and a
    # typographic apostrophe in the subject
    import smtplib
    from email.message import EmailMessage
    m = EmailMessage()
    m["From"] = "Alice <alice@corp.example>"
    m["To"] = "Carol <carol@gmail.example>"
    m["Subject"] = "adv-smtplib \u2019s r\u00e9sum\u00e9"
    m.set_content("see the attachment\n")
    zb = io.BytesIO()
    with zipfile.ZipFile(zb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("list.txt", "Customer: ACME\nAccount Manager: Dana\nSales Engineer: Evan\n")
    m.add_attachment(zb.getvalue(), maintype="application", subtype="zip",
                     filename="r\u00e9sum\u00e9 list.zip")
    with smtplib.SMTP(HOST, 25, timeout=30) as smtp:
        smtp.starttls(context=ssl._create_unverified_context())
        refused = smtp.send_message(m)
        expect("smtplib send_message refused", refused, {})
elif CMD == "starttls-after-mail":
    c = C()
    c.ehlo()
    c.send(b"MAIL FROM:<plain-envelope@corp.example>\r\n")
    c.reply()
    c.send(b"STARTTLS\r\n")
    expect("STARTTLS after MAIL", c.reply()[0], 220)
    c.tls()
    c.send(RT)
    expect("the MAIL from before TLS is gone", c.reply()[0], 503)
    c.send(b"EHLO adv.corp.example\r\n")
    c.reply()
    c.send(b"MAIL FROM:<tls-envelope@corp.example>\r\n" + RT + b"DATA\r\n")
    expect("transaction inside TLS", c.codes(3), [250, 250, 354])
    c.send(msg(b"adv-starttls-after-mail") + b".\r\n")
    expect("message inside TLS", c.reply()[0], 250)
elif CMD == "http":
    c = C()
    c.reply()
    c.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    r = c.reply()
    expect("HTTP on port 25", r[0], 221)
    expect("then closed", c.reply()[0], None)
elif CMD == "abort":
    # close, and reset, in the middle of DATA: nothing may be relayed
    for how in ("close", "reset"):
        c = C()
        c.ehlo()
        c.send(MF + RT + b"DATA\r\n")
        c.codes(3)
        c.send(msg(b"adv-abort-" + how.encode(), b"partial line\r\n" * 2000))
        time.sleep(0.3)
        if how == "reset":
            c.s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        c.s.close()
    time.sleep(0.5)
    # the upstream connections the aborted sessions used (pooled or not)
    # must carry nothing over into the next transaction
    for k in range(3):
        c = C()
        expect("a new session after the aborted ones", c.ehlo()[0], 250)
        c.send(b"MAIL FROM:<after-abort@corp.example>\r\nRCPT TO:<after-abort@partner.example>\r\nDATA\r\n")
        expect("a transaction after the aborted ones", c.codes(3), [250, 250, 354])
        c.send(msg(b"adv-after-abort") + b".\r\nQUIT\r\n")
        expect("its message", c.codes(2), [250, 221])
elif CMD == "bdat":
    c = C()
    c.ehlo()
    body = msg(b"adv-bdat-dots", b".\r\n..a\r\nQUIT\r\n.")
    c.send(MF + RT + b"BDAT 10\r\n" + body[:10] + b"BDAT %d LAST\r\n" % (len(body) - 10) + body[10:])
    expect("BDAT chunks with dot lines", c.codes(4), [250, 250, 250, 250])
    c.send(b"BDAT 5\r\nhelloNOOP\r\n")
    expect("BDAT without MAIL: chunk read and refused, in sync", c.codes(2), [503, 250])
    c.send(MF + RT + b"BDAT 5\r\nhelloDATA\r\nBDAT 0 LAST\r\n")
    expect("DATA after BDAT refused, BDAT 0 LAST ends it", c.codes(5), [250, 250, 250, 503, 250])
elif CMD == "parallel":
    res = []

    def one(i):
        try:
            c = C()
            c.ehlo()
            for k in range(3):
                c.send(MF + RT + b"DATA\r\n")
                c.codes(3)
                c.send(msg(b"adv-par-%d-%d" % (i, k), b"line\r\n" * 200) + b".\r\n")
                res.append(c.reply()[0])
            c.send(b"QUIT\r\n")
            c.reply()
        except OSError as e:
            res.append(str(e))
    th = [threading.Thread(target=one, args=(i,)) for i in range(int(ARGS[0]))]
    [t.start() for t in th]
    [t.join() for t in th]
    expect("parallel sessions", sorted(set(map(str, res))), ["250"])
elif CMD == "stall":
    # A sender that stops: half a command line, after STARTTLS's 220, and
    # connected to the implicit-TLS port without a ClientHello. Each must be
    # closed after the command timeout (ARGS[0] s), not kept forever.
    limit = float(ARGS[0]) + 6
    out = {}

    def run(kind):
        t0 = time.time()
        try:
            if kind == "implicit":
                s = socket.create_connection((HOST, 465), timeout=limit + 5)
                data = s.recv(100)
            else:
                c = C(timeout=limit + 5)
                c.ehlo()
                if kind == "starttls":
                    c.send(b"STARTTLS\r\n")
                    c.reply()
                    c.send(b"\x16\x03\x01")
                else:
                    c.send(b"MAIL FROM:<slow")
                s = c.s
                data = c.buf
                while True:
                    d = s.recv(1000)
                    if not d:
                        break
                    data += d
            out[kind] = (time.time() - t0, data)
        except OSError as e:
            out[kind] = (time.time() - t0, str(e).encode())
    th = [threading.Thread(target=run, args=(k,)) for k in ("command", "starttls", "implicit")]
    [t.start() for t in th]
    [t.join() for t in th]
    for k, (secs, data) in sorted(out.items()):
        if secs > limit or isinstance(data, bytes) and b"timed out" in data:
            bad.append("%s stall: not closed after %.1f s (%r)" % (k, secs, data[-60:]))
    expect("command stall answered 421", out["command"][1][:3], b"421")
elif CMD == "send":
    # send FILE... as messages; print "<file> <final code>"
    c = C()
    c.ehlo()
    for f in ARGS:
        c.send(MF + RT + b"DATA\r\n")
        codes = c.codes(3)
        if codes != [250, 250, 354]:
            print(os.path.basename(f), codes)
            c.send(b"RSET\r\n")
            c.reply()
            continue
        data = open(f, "rb").read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        data = re.sub(rb"(?m)^\.", b"..", data)
        if not data.endswith(b"\r\n"):
            data += b"\r\n"
        c.send(data + b".\r\n")
        print(os.path.basename(f), c.reply()[0])
    sys.exit(0)
elif CMD == "upstream":
    # MAIL FROM local parts steer the scripted upstream; ARGS: mode=want ...
    c = C(timeout=60)
    c.ehlo()
    for a in ARGS:
        mode, want = a.split("=")
        c.send(b"MAIL FROM:<" + mode.encode() + b"@corp.example>\r\n")
        r = c.reply()
        if r[0] != 250:
            expect(mode + " (MAIL)", str(r[0]), want)
            c.send(b"RSET\r\n")
            c.reply()
            continue
        c.send(RT + b"DATA\r\n")
        r2, r3 = c.reply(), c.reply()
        if r3[0] != 354:
            expect(mode + " (DATA)", str(r3[0]), want)
            continue
        t0 = time.time()
        c.send(msg(b"adv-up-" + mode.encode(), b"...dot\r\n..\r\nx\r\n") + b".\r\n")
        r4 = c.reply()
        expect("%s (end of data, %.1f s: %s)" % (mode, time.time() - t0, r4[1]), str(r4[0]), want)
    c.send(b"QUIT\r\n")
    expect("QUIT", c.reply()[0], 221)
elif CMD == "bdat-to-data":
    c = C()
    c.ehlo()
    body = msg(b"adv-bdat-to-data", b".\r\n..a\r\nMAIL FROM:<x@y>\r\n.")
    c.send(b"MAIL FROM:<bdat@corp.example>\r\n" + RT + b"BDAT %d LAST\r\n" % len(body) + body)
    expect("BDAT relayed to a DATA-only upstream", c.codes(3), [250, 250, 250])
elif CMD == "fakeup":
    # The scripted upstream: behaviour chosen by the MAIL FROM local part.
    ip, port, outdir = ARGS[0], int(ARGS[1]), ARGS[2]
    log = open(os.path.join(outdir, "fakeup.log"), "a", buffering=1)
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((ip, port))
    srv.listen(64)
    seq = [0]
    lock = threading.Lock()

    def serve(c):
        f = c.makefile("rb")
        mode = b""
        c.sendall(b"220 fakeup ESMTP\r\n")
        try:
            while True:
                line = f.readline()
                if not line:
                    return
                cmd = line[:4].upper()
                if cmd in (b"EHLO", b"HELO"):
                    c.sendall(b"250-fakeup\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 104857600\r\n")
                elif cmd == b"MAIL":
                    m = re.search(rb"<([^@>]*)", line)
                    mode = m.group(1) if m else b""
                    if mode == b"mail550":
                        c.sendall(b"550 5.7.1 fakeup: sender refused\r\n")
                    elif mode == b"mail451":
                        c.sendall(b"451 4.3.0 fakeup: sender deferred\r\n")
                    elif mode == b"mail421":
                        c.sendall(b"421 4.3.2 fakeup: going away\r\n")
                        return
                    else:
                        c.sendall(b"250 2.1.0 ok\r\n")
                elif cmd == b"DATA":
                    if mode == b"data451":
                        c.sendall(b"451 4.3.0 fakeup: no DATA now\r\n")
                        continue
                    if mode == b"data554":
                        c.sendall(b"554 5.5.1 fakeup: no DATA ever\r\n")
                        continue
                    c.sendall(b"354 go ahead\r\n")
                    body = []
                    while True:
                        l = f.readline()
                        if not l:
                            return
                        if l == b".\r\n":
                            break
                        body.append(l[1:] if l.startswith(b".") else l)
                    with lock:
                        seq[0] += 1
                        n = seq[0]
                    open(os.path.join(outdir, "msg-%d-%s.eml" % (n, mode.decode())), "wb").write(b"".join(body))
                    log.write("message %d mode %s\n" % (n, mode.decode()))
                    if mode == b"eod554":
                        c.sendall(b"554 5.7.1 fakeup: content refused\r\n")
                    elif mode == b"eod452":
                        c.sendall(b"452 4.3.1 fakeup: out of space\r\n")
                    elif mode == b"eodclose":
                        return
                    elif mode.startswith(b"slow"):
                        time.sleep(int(mode[4:]))
                        c.sendall(b"250 2.0.0 fakeup: queued late\r\n")
                    else:
                        c.sendall(b"250 2.0.0 fakeup: queued\r\n")
                elif cmd == b"QUIT":
                    c.sendall(b"221 bye\r\n")
                    return
                else:
                    c.sendall(b"250 2.0.0 ok\r\n")
        except OSError:
            pass
        finally:
            c.close()
    while True:
        c, _ = srv.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()
elif CMD == "gen":
    # The DLP evasion corpus: the seed's four terms hidden in one way each.
    out = ARGS[0]
    os.makedirs(out, exist_ok=True)
    T = "Customer: ACME\r\nAccount Manager: Dana\r\nSales Engineer: Evan\r\nPurchase date: 2026\r\n"
    P = "Customer Account Manager Sales Engineer Purchase date"
    H = "MIME-Version: 1.0\r\n"
    b64 = lambda d: base64.b64encode(d if isinstance(d, bytes) else d.encode()).decode()
    wrap = lambda s, n=76: "\r\n".join(s[i:i + n] for i in range(0, len(s), n))
    s64 = wrap(b64(T))
    cases = {}

    def leaf(ct, cte, body):
        return H + "Content-Type: " + ct + "\r\nContent-Transfer-Encoding: " + cte + "\r\n\r\n" + body + "\r\n"

    def mixed(parts, boundary="X"):
        return (H + "Content-Type: multipart/mixed; boundary=" + boundary + "\r\n\r\n" +
                "".join("--" + boundary + "\r\n" + p for p in parts) + "--" + boundary + "--\r\n")

    def zipb(files, stored=False):
        b = io.BytesIO()
        z = zipfile.ZipFile(b, "w", zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)
        for n, d in files:
            z.writestr(n, d)
        z.close()
        return b.getvalue()
    att = lambda ct, name, data: ("Content-Type: " + ct + "; name=" + name +
                                  "\r\nContent-Disposition: attachment; filename=" + name +
                                  "\r\nContent-Transfer-Encoding: base64\r\n\r\n" + wrap(b64(data)) + "\r\n")
    # subject only (RFC 2047), split encoded words, folding
    cases["subject-2047"] = ("Subject: =?UTF-8?B?" + b64(P) + "?=\r\n" + H, "hi\r\n")
    cases["subject-2047-split"] = ("Subject: =?UTF-8?Q?Cust?= =?UTF-8?Q?omer_Account_Manager?=\r\n =?utf-8?b?" +
                                   b64(" Sales Engineer Purchase date") + "?=\r\n" + H, "hi\r\n")
    cases["subject-folded"] = ("Subject: Customer Account\r\n Manager Sales\r\n\tEngineer Purchase\r\n date\r\n" + H, "hi\r\n")
    # transfer encodings
    cases["qp-soft-breaks"] = ("", leaf("text/plain", "quoted-printable",
                                         "Cust=\r\nomer Acc=\r\nount Mana=\r\nger Sales=20Eng=\r\nineer Purch=61se date"))
    cases["qp-soft-break-ws"] = ("", leaf("text/plain", "quoted-printable",
                                           "Cust= \r\nomer Account=\t\r\n Manager Sales Engineer Purchase =\r\ndate"))
    cases["b64-7-char-lines"] = ("", leaf("text/plain", "base64", "\r\n".join(b64(T)[i:i + 7] for i in range(0, len(b64(T)), 7))))
    cases["b64-junk"] = ("", leaf("text/plain", "base64", "!!".join(b64(T)[i:i + 10] for i in range(0, len(b64(T)), 10))))
    cases["b64-padded-chunks"] = ("", leaf("text/plain", "base64", b64("Customer Account Manager ") + "\r\n" + b64("Sales Engineer Purchase date")))
    cases["cte-case-blanks"] = ("", leaf("text/plain", " BaSe64 ", s64))
    cases["cte-folded"] = ("", leaf("text/plain", "\r\n base64", s64))
    cases["cte-comment"] = ("", leaf("text/plain", "base64 (really)", s64))
    cases["cte-duplicate-last"] = ("", H + "Content-Type: text/plain\r\nContent-Transfer-Encoding: 7bit\r\nContent-Transfer-Encoding: base64\r\n\r\n" + s64 + "\r\n")
    cases["header-blank-before-colon"] = ("", H + "Content-Type : text/plain\r\nContent-Transfer-Encoding : base64\r\n\r\n" + s64 + "\r\n")
    # HTML
    cases["html-empty-tags"] = ("", leaf("text/html", "7bit", "<p>Cust<b></b>omer Acc<span>ount</span> Manager Sales<!-- x --> Engineer Purch<i>a</i>se date</p>"))
    cases["html-entities"] = ("", leaf("text/html", "7bit", "<p>&#67;ustomer &#x41;ccount&nbsp;Manager Sal&#101;s Engineer Purchase&#32;date</p>"))
    cases["html-breaks"] = ("", leaf("text/html", "7bit", "Customer Account<br>Manager Sales<br/>Engineer Purchase<div>date</div>"))
    # charsets
    cases["utf16-bom"] = ("", leaf("text/plain; charset=utf-16", "base64", wrap(b64(P.encode("utf-16")))))
    cases["utf16le"] = ("", leaf("text/plain; charset=UTF-16LE", "base64", wrap(b64(P.encode("utf-16-le")))))
    cases["utf7"] = ("", leaf("text/plain; charset=utf-7", "7bit", "+AEM-ustomer Account Manager Sales Engineer Purchase date"))
    cases["ebcdic-cp500"] = ("", leaf("text/plain; charset=cp500", "base64", wrap(b64(P.encode("cp500")))))
    cases["nul-inside-word"] = ("", leaf("text/plain", "base64", b64("Cust\0omer Account Manager Sales Engineer Purchase date")))
    # structure
    inner = "Subject: inner\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n" + s64 + "\r\n"
    cases["rfc822-attached"] = ("", mixed(["Content-Type: text/plain\r\n\r\nsee attached\r\n", "Content-Type: message/rfc822\r\n\r\n" + inner]))
    nest = inner
    for _ in range(5):
        nest = "Content-Type: message/rfc822\r\n\r\n" + nest
    cases["rfc822-5-deep"] = ("", H + nest)
    cases["multipart-no-close"] = ("", H + "Content-Type: multipart/mixed; boundary=X\r\n\r\n--X\r\nContent-Type: text/plain\r\n\r\nhi\r\n--X\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n" + s64 + "\r\n")
    cases["multipart-no-boundary-param"] = ("", H + "Content-Type: multipart/mixed\r\n\r\n--X\r\nContent-Type: text/plain\r\n\r\n" + T + "--X--\r\n")
    cases["multipart-same-boundary-nested"] = ("", H + "Content-Type: multipart/mixed; boundary=X\r\n\r\n--X\r\nContent-Type: multipart/alternative; boundary=X\r\n\r\n--X\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n" + s64 + "\r\n--X--\r\n--X--\r\n")
    cases["multipart-2231-boundary"] = ("", H + "Content-Type: multipart/mixed; boundary*0=\"ab\"; boundary*1=\"cd\"\r\n\r\n--abcd\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n" + s64 + "\r\n--abcd--\r\n")
    cases["content-type-twice-text-first"] = ("", H + "Content-Type: text/plain\r\nContent-Type: multipart/mixed; boundary=X\r\n\r\n--X\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n" + s64 + "\r\n--X--\r\n")
    cases["rfc822-base64"] = ("", mixed(["Content-Type: text/plain\r\n\r\nsee attached\r\n", "Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n" + wrap(b64(inner)) + "\r\n"]))
    cases["cte-twice-base64-first"] = ("", H + "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\nContent-Transfer-Encoding: 7bit\r\n\r\n" + s64 + "\r\n")
    cases["content-type-twice-multipart-first"] = ("", H + "Content-Type: multipart/mixed; boundary=X\r\nContent-Type: text/plain\r\n\r\n--X\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n" + s64 + "\r\n--X--\r\n")
    cases["image-type-text-body"] = ("", mixed([att("image/png", "notes.png", T)]))
    cases["html-entities-no-semicolon"] = ("", leaf("text/html", "7bit", "<p>&#67ustomer &#x41ccount Manager S&#97les Engineer Purchase date</p>"))
    cases["parts-after-close-delimiter"] = ("", H + "Content-Type: multipart/mixed; boundary=X\r\n\r\n--X\r\nContent-Type: text/plain\r\n\r\nhi\r\n--X--\r\n--X\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n" + s64 + "\r\n--X--\r\n")
    # archives and attachments
    cases["zip"] = ("", mixed([att("application/zip", "a.zip", zipb([("notes.txt", T)]))]))
    cases["zip-in-zip"] = ("", mixed([att("application/zip", "a.zip", zipb([("inner.zip", zipb([("notes.txt", T)]))]))]))
    cases["zip-in-zip-renamed"] = ("", mixed([att("application/zip", "a.zip", zipb([("photo.jpg", zipb([("notes.txt", T)]))]))]))
    tb = io.BytesIO()
    tf = tarfile.open(fileobj=tb, mode="w")
    ti = tarfile.TarInfo("notes.txt")
    ti.size = len(T)
    tf.addfile(ti, io.BytesIO(T.encode()))
    tf.close()
    cases["tar"] = ("", mixed([att("application/x-tar", "a.tar", tb.getvalue())]))
    cases["uuencode-in-text"] = ("", leaf("text/plain", "7bit", "see below\r\nbegin 644 notes.txt\r\n" +
                                          "".join(__import__("binascii").b2a_uu(T.encode()[i:i + 45]).decode().replace("\n", "\r\n")
                                                  for i in range(0, len(T), 45)) + "`\r\nend"))
    # typographic punctuation (Outlook's U+2019 apostrophe, quotes, dashes)
    cases["typographic-apostrophe-qp"] = ("", leaf("text/plain; charset=utf-8", "quoted-printable",
                                                   "The Customer=E2=80=99s Account Manager=E2=80=99s note"))
    cases["typographic-quotes"] = ("", leaf("text/plain; charset=utf-8", "base64",
                                            b64("\u201cCustomer\u201d \u2014 \u2018Account Manager\u2019\u2026".encode("utf-8"))))
    cases["unicode-spaces-in-phrases"] = ("", leaf("text/plain; charset=utf-8", "quoted-printable",
                                                   "Account=E2=80=AFManager and Sales=E2=80=89Engineer"))
    # card numbers grouped with &nbsp; in HTML: blocked (550), not held
    cards = ["4111111111111111", "5555555555554444", "4000000000000002", "6011000000000004", "378282246310005"]
    cases["block-html-cards-nbsp"] = ("", leaf("text/html; charset=utf-8", "7bit", "<table>" + "".join(
        "<tr><td>" + "&nbsp;".join(c[i:i + 4] for i in range(0, len(c), 4)) + "</td></tr>" for c in cards) + "</table>"))
    cases["block-cards-dashes"] = ("", leaf("text/plain", "7bit", "\r\n".join(
        "-".join(c[i:i + 4] for i in range(0, len(c), 4)) for c in cards)))
    # Known open bypasses (dlp/mime.c, mime_header.c, html_text.c: another
    # engineer's files): prefixed "open-".
    cases["open-zip-as-octet-stream"] = ("", mixed([att("application/octet-stream", "a.dat", zipb([("notes.txt", T)]))]))
    cases["open-gzip"] = ("", mixed([att("application/gzip", "notes.txt.gz", __import__("gzip").compress(T.encode()))]))
    cases["open-utf16-attachment-no-charset"] = ("", mixed([att("application/octet-stream", "notes.txt", T.encode("utf-16"))]))
    for name, (hdrs, body) in cases.items():
        m = ("From: Alice <alice@corp.example>\r\nTo: <bob@partner.example>\r\n" +
             ("" if "Subject:" in hdrs else "Subject: adv-dlp-" + name + "\r\n") +
             "X-Case: adv-dlp-" + name + "\r\nMessage-ID: <adv-dlp-" + name + "@adv>\r\n" + hdrs + body)
        open(os.path.join(out, name + ".eml"), "wb").write(m.encode())
done()
PY
probe() { ip netns exec $NS_SND timeout "${PROBE_TIMEOUT:-60}" python3 "$PY" $APP "$@"; }
n_subject() { grep -lE "^Subject: $1\$" "$MD"/* 2>/dev/null | wc -l; }
has_subject() { [ "$(n_subject "$1")" -ge "$2" ]; }
wait_subject() { wait_for "${3:-20}" has_subject "$1" "$2"; }
# The body of a delivered file (from the blank line on, CRs dropped) equals
# the printf rendering of $2.
body_is() { # file printf-format
	local got want
	got=$(sed -n '/^\r\?$/,$p' "$1" | tr -d '\r')
	want=$(printf "$2")
	[ "$got" = "$want" ] || { echo "  body of $1: $(printf %q "$got")" >&2; return 1; }
}
file_of() { grep -lE "^Subject: $1\$" "$MD"/* 2>/dev/null | head -1; }

# --- 1. SMTP abuse -----------------------------------------------------------
# Stalled senders run in the background while the rest goes on (8 s timeout).
probe stall 8 >"$LAB_DIR/stall.out" 2>&1 &
stall_pid=$!
t_check "pipelining: two transactions and QUIT in one write" probe pipeline
t_check "RSET and NOOP mid-transaction, RCPT after RSET refused, duplicate RCPT" probe rset
t_check "25 RCPTs in one write: 20 accepted, 5 x 452, message relayed" probe rcpts 20
t_check "dot-stuffing, CRLF.CRLF split across four segments" probe dots
t_check "a whole transaction one byte per segment" probe bytewise
t_check "1200-byte text line: 550 5.6.0, session goes on; 998 bytes after a stuffing dot: 250" probe longline
t_check "AUTH/VRFY/EXPN/ETRN/XCLIENT 502, HELP 214, NUL/bare CR 500, long lines, parameter abuse" \
	probe commands
t_check "EHLO and QUIT in one segment after an upstream connection was pooled: no crash" probe ehlo-quit
t_check "SMTP fuzzing (90 sessions of random commands and garbage): still serving" probe fuzz 1
t_check "a NOOP flood: 120 answered, then 421 and closed" probe noops
t_check "STARTTLS after MAIL: envelope reset, transaction in TLS" probe starttls-after-mail
t_check "HTTP on port 25: 221 and closed" probe http
t_check "sender closes / resets mid-DATA: appliance keeps serving" probe abort
t_check "BDAT: dot lines in chunks, BDAT without MAIL, DATA after BDAT" probe bdat
# ten SIGHUP reloads while the 40 sessions run
(for _ in $(seq 10); do kill -HUP "$(cat "$LAB_DIR/smtpdlp.pid")"; sleep 0.2; done) &
hup_pid=$!
t_check "40 parallel sessions x 3 messages across 10 SIGHUP reloads: all 250" probe parallel 40
wait "$hup_pid"
t_check "the reloads happened (signals during a build coalesce)" wait_for 20 grep -qE 'reload: snapshot [0-9]+ built' "$LAB_DIR/smtpdlp.log"
t_check "no reload failed" bash -c "! grep -q 'reload failed' '$LAB_DIR/smtpdlp.log'"
t_check "Python smtplib: STARTTLS, send_message with a zip attachment" probe smtplib
ip netns exec $NS_SND smtp-source -s 8 -m 40 -r 3 -l 3000 -f alice@corp.example \
	-t r@partner.example -M snd.corp.example -S adv-smtp-source $APP:25 \
	>"$LAB_DIR/smtp-source.out" 2>&1
rc=$?
t_check "smtp-source: 8 sessions, 40 messages x 3 recipients, no failed transaction" \
	bash -c "[ $rc -eq 0 ] && ! grep -qiE 'error|fatal|warning' '$LAB_DIR/smtp-source.out'"
# Real mail software: swaks with a forged hold header behind a long header
# name; the sender Postfix relaying a 1500-byte line (it folds it).
out=$(lab_swaks --from alice@corp.example --to bob@partner.example \
	--add-header "X-$(printf 'a%.0s' $(seq 200)): v" --add-header "X-DLP-Hold: forged" \
	--add-header "X-SMTPDLP-Inspected: forged" --h-Subject adv-forge --body "clean" 2>&1)
t_check "swaks: forged headers behind a 200-byte header name: 250" grep -qE '^<- +250 ' <<<"$(tail -3 <<<"$out")"
out=$(lab_swaks --from alice@corp.example --to bob@partner.example --h-Subject adv-forge2 \
	--add-header "Not a header line" --add-header "X-DLP-Hold: forged" --body "clean" 2>&1)
t_check "swaks: forged header behind a line that is no header: 250" grep -qE '^<- +250 ' <<<"$(tail -3 <<<"$out")"
long=$(printf 'y%.0s' $(seq 1500))
ip netns exec $NS_SND swaks --server 127.0.0.1 --hide-all --from alice@corp.example \
	--to bob@partner.example --h-Subject adv-postfix-longline --body "$long" >/dev/null 2>&1
lab_postfix_wait_queue_empty $NS_SND "$LAB_DIR/sender" 30

t_check "delivered: both pipelined messages" wait_subject 'adv-pipe-[12]' 2
for subj in rset dots bytewise starttls-after-mail bdat-dots forge postfix-longline 998-dot; do
	t_check "delivered: adv-$subj" wait_subject "adv-$subj" 1
done
t_check "delivered: all 120 parallel messages" wait_subject 'adv-par-[0-9]+-[0-9]' 120 30
t_check "smtp-source: all 120 copies delivered" wait_subject adv-smtp-source 120 30
smtplib_held() {
	local f
	f=$(grep -l 'adv-smtplib' "$MD"/* 2>/dev/null | head -1)
	[ -n "$f" ] && grep -q '^X-DLP-Hold: Customer email Hold' "$f"
}
t_check "smtplib message held (X-DLP-Hold)" wait_for 20 smtplib_held
t_check "each delivered once (pipelined, duplicate RCPT, parallel)" \
	[ "$(n_subject 'adv-(pipe-[12]|rset|par-[0-9]+-[0-9])')" -eq 123 ]
t_check "25 RCPTs: delivered to the 20 accepted" [ "$(n_subject adv-rcpts)" -eq 20 ]
t_check "dot lines arrive unstuffed and intact" body_is "$(file_of adv-dots)" '\n..a\n.\n...\n x\ny.\nend'
t_check "BDAT dot lines arrive intact" body_is "$(file_of adv-bdat-dots)" '\n.\n..a\nQUIT\n.'
t_check "the transaction after STARTTLS used the TLS envelope" \
	grep -q '^Return-Path: <tls-envelope@corp.example>' "$(file_of adv-starttls-after-mail)"
after_abort_clean() {
	local f
	[ "$(n_subject adv-after-abort)" -eq 3 ] || return 1
	for f in $(grep -l '^Subject: adv-after-abort$' "$MD"/*); do
		grep -q '^Return-Path: <after-abort@corp.example>' "$f" &&
			grep -q '^Delivered-To: after-abort@partner.example' "$f" || return 1
	done
}
t_check "after aborted DATA: 3 messages, each with its own envelope only" wait_for 20 after_abort_clean
t_check "refused 1200-byte line and aborted DATA never relayed" \
	[ "$(n_subject 'adv-(longline|abort-close|abort-reset)')" -eq 0 ]
f=$(file_of adv-forge)
t_check "forged X-DLP-Hold behind a long header name removed" bash -c "! grep -q '^X-DLP-Hold' '$f'"
t_check "forged X-SMTPDLP-Inspected removed, the appliance's own kept" bash -c \
	"[ \$(grep -c '^X-SMTPDLP-Inspected:' '$f') -eq 1 ] && ! grep -q '^X-SMTPDLP-Inspected: forged' '$f'"
forge2_clean() {
	local f
	f=$(file_of adv-forge2)
	[ -n "$f" ] && ! grep -q 'X-DLP-Hold' "$f"
}
t_check "forged X-DLP-Hold behind a line that is no header removed" wait_for 20 forge2_clean
wait "$stall_pid"
rc=$?
t_check "stalled senders (half a command, after STARTTLS, implicit TLS silent) closed after the command timeout" \
	[ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || sed 's/^/  /' "$LAB_DIR/stall.out"
echo "  part 1 done at $(($(date +%s) - T0)) s"

# --- 2. DLP evasion ------------------------------------------------------------
corp=$LAB_DIR/dlp-cases
ip netns exec $NS_SND python3 "$PY" $APP gen "$corp"
probe send "$corp"/*.eml >"$LAB_DIR/dlp-codes.txt" 2>&1
lab_postfix_wait_queue_empty $NS_UP "$LAB_DIR/upstream" 20
sleep 1
# held: relayed with X-DLP-Hold, or refused 451 as unscannable
held() { # case
	local code f
	code=$(awk -v c="$1.eml" '$1 == c {print $2}' "$LAB_DIR/dlp-codes.txt")
	[ "$code" = 451 ] && return 0
	[ "$code" = 250 ] || { echo "  $1: final reply $code" >&2; return 1; }
	f=$(grep -l "^X-Case: adv-dlp-$1\$" "$MD"/* 2>/dev/null | head -1)
	[ -n "$f" ] || wait_for 10 bash -c "grep -q '^X-Case: adv-dlp-$1\$' $MD/*" 2>/dev/null
	f=$(grep -l "^X-Case: adv-dlp-$1\$" "$MD"/* 2>/dev/null | head -1)
	[ -n "$f" ] && grep -q '^X-DLP-Hold: Customer email Hold' "$f"
}
blocked() { [ "$(awk -v c="$1.eml" '$1 == c {print $2}' "$LAB_DIR/dlp-codes.txt")" = 550 ]; }
for e in "$corp"/*.eml; do
	c=$(basename "$e" .eml)
	case $c in
	open-*) t_xfail "DLP evasion held: $c" held "$c" ;;
	block-*) t_check "DLP evasion blocked (550): $c" blocked "$c" ;;
	*) t_check "DLP evasion held: $c" held "$c" ;;
	esac
done
echo "  part 2 done at $(($(date +%s) - T0)) s"

# --- 3. a scripted upstream ----------------------------------------------------
lab_postfix_stop $NS_UP "$LAB_DIR/upstream"
mkdir -p "$LAB_DIR/fakeup"
ip netns exec $NS_UP python3 "$PY" $UP_IP fakeup $UP_IP 25 "$LAB_DIR/fakeup" \
	>"$LAB_DIR/fakeup/stderr" 2>&1 &
fake_pid=$!
wait_for 10 ip netns exec $NS_UP bash -c "exec 3<>/dev/tcp/$UP_IP/25" 2>/dev/null
PROBE_TIMEOUT=90 t_check "upstream refusals at MAIL / DATA / end of data passed on; 421 and a close become 451" \
	probe upstream ok=250 mail550=550 mail451=451 mail421=451 data451=451 data554=554 \
	eod554=554 eod452=452 eodclose=451 ok2=250
PROBE_TIMEOUT=90 t_check "slow upstream: 4 s answer relayed (250), 12 s answer is past timeouts.upstream (451)" \
	probe upstream slow4=250 slow12=451 ok3=250
t_check "BDAT from the sender relayed as DATA, dot-stuffed" probe bdat-to-data
up=$LAB_DIR/fakeup
t_check "the upstream saw each message with the inspected header" \
	[ "$(grep -l '^X-SMTPDLP-Inspected:' "$up"/msg-*-ok*.eml 2>/dev/null | wc -l)" -eq 3 ]
t_check "DATA relay: dot lines arrive unstuffed and intact" body_is "$(ls "$up"/msg-*-ok.eml)" '\n..dot\n.\nx'
t_check "BDAT relayed as DATA: dot lines and a last line without CRLF intact" \
	body_is "$(ls "$up"/msg-*-bdat.eml)" '\n.\n..a\nMAIL FROM:<x@y>\n.'
kill "$fake_pid" 2>/dev/null
fake_pid=
echo "  part 3 done at $(($(date +%s) - T0)) s"

t_check "smtpdlp is still running" kill -0 "$(cat "$LAB_DIR/smtpdlp.pid")"
echo "$t_xfail known open bypasses (xfail), $t_xpass unexpectedly fixed (xpass)"
t_done
