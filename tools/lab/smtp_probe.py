#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""smtp_probe.py — raw SMTP conversations for the lab tests.

Each subcommand talks to the appliance over a plain socket (and TLS where
asked), checks the replies and exits 0 when the appliance behaved, 1 when it
did not (with the reason on stderr). Used by tests/lab/test_appliance_smtp.sh
for what swaks cannot express: BDAT, smuggling sequences, STARTTLS command
injection, SMTPUTF8, pipelining of a whole transaction in one write.

  smtp_probe.py HOST PORT bdat      --from A --to B --subject S
  smtp_probe.py HOST PORT smuggle  --from A --to B --variant lf|cr|lfcrlf|crlflf
  smtp_probe.py HOST PORT inject   (STARTTLS + pipelined command)
  smtp_probe.py HOST PORT utf8     --from A --to B --subject S
  smtp_probe.py HOST PORT pipeline --from A --to B --subject S --count N
"""
import argparse
import socket
import ssl
import sys


class Conn:
    def __init__(self, host, port, timeout=30):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def reply(self):
        """Read one (possibly multi-line) reply; return (code, text lines)."""
        lines = []
        while True:
            while b"\r\n" not in self.buf:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise EOFError("connection closed; got %r" % lines)
                self.buf += chunk
            line, self.buf = self.buf.split(b"\r\n", 1)
            lines.append(line.decode("utf-8", "replace"))
            if len(line) < 4 or line[3:4] != b"-":
                return int(line[:3]), lines

    def expect(self, want, what):
        code, lines = self.reply()
        if code != want:
            fail("%s: expected %s, got %s" % (what, want, " | ".join(lines)))
        return code, lines

    def starttls(self):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        self.sock = ctx.wrap_socket(self.sock)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def message(subject, body, frm, to, extra=b""):
    return (b"From: <" + frm.encode() + b">\r\nTo: <" + to.encode() + b">\r\n" +
            b"Subject: " + subject.encode("utf-8") + b"\r\n" +
            b"Message-ID: <" + subject.encode("ascii", "replace").replace(b" ", b".") +
            b"@lab.example>\r\n" + extra + b"\r\n" + body)


def ehlo(c, name=b"probe.corp.example"):
    c.expect(220, "greeting")
    c.send(b"EHLO " + name + b"\r\n")
    return c.expect(250, "EHLO")[1]


def cmd_bdat(a):
    c = Conn(a.host, a.port)
    caps = " ".join(ehlo(c)).upper()
    if "CHUNKING" not in caps:
        fail("CHUNKING not advertised: " + caps)
    msg = message(a.subject, b"BDAT body line 1\r\nline 2 with . at start:\r\n.dot\r\n",
                  a.frm, a.to)
    half = len(msg) // 2
    c.send(b"MAIL FROM:<" + a.frm.encode() + b">\r\n")
    c.expect(250, "MAIL")
    c.send(b"RCPT TO:<" + a.to.encode() + b">\r\n")
    c.expect(250, "RCPT")
    c.send(b"BDAT %d\r\n" % half + msg[:half])
    c.expect(250, "BDAT chunk 1")
    c.send(b"BDAT %d\r\n" % (len(msg) - half) + msg[half:])
    c.expect(250, "BDAT chunk 2")
    c.send(b"BDAT 0 LAST\r\n")
    c.expect(250, "BDAT 0 LAST")
    c.send(b"QUIT\r\n")
    c.expect(221, "QUIT")
    c.close()


def cmd_utf8(a):
    c = Conn(a.host, a.port)
    caps = " ".join(ehlo(c)).upper()
    for ext in ("SMTPUTF8", "8BITMIME"):
        if ext not in caps:
            fail(ext + " not advertised")
    body = "Grüße aus Zürich — 8bit body ✓\r\n".encode("utf-8")
    msg = message(a.subject, body, a.frm, a.to,
                  b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                  b"Content-Transfer-Encoding: 8bit\r\n")
    c.send(b"MAIL FROM:<" + a.frm.encode() + b"> BODY=8BITMIME SMTPUTF8\r\n")
    c.expect(250, "MAIL SMTPUTF8")
    c.send(b"RCPT TO:<" + a.to.encode() + b">\r\n")
    c.expect(250, "RCPT")
    c.send(b"DATA\r\n")
    c.expect(354, "DATA")
    c.send(msg + b".\r\n")
    c.expect(250, "end of data")
    c.send(b"QUIT\r\n")
    c.expect(221, "QUIT")


def cmd_smuggle(a):
    """A message carrying a smuggling sequence followed by a second, smuggled
    transaction. The appliance must treat it as one message: the final reply
    is for one message, and no reply for the smuggled MAIL/RCPT/DATA comes."""
    seq = {"lf": b"\n.\n", "cr": b"\r.\r", "lfcrlf": b"\n.\r\n", "crlflf": b"\r\n.\n"}[a.variant]
    smuggled = (b"MAIL FROM:<evil@attacker.example>\r\nRCPT TO:<" + a.to.encode() +
                b">\r\nDATA\r\nSubject: smuggled\r\n\r\nsmuggled body\r\n")
    body = b"first line\r\n" + seq + smuggled + b"last line\r\n"
    c = Conn(a.host, a.port)
    ehlo(c)
    c.send(b"MAIL FROM:<" + a.frm.encode() + b">\r\n")
    c.expect(250, "MAIL")
    c.send(b"RCPT TO:<" + a.to.encode() + b">\r\n")
    c.expect(250, "RCPT")
    c.send(b"DATA\r\n")
    c.expect(354, "DATA")
    c.send(message(a.subject, body, a.frm, a.to) + b".\r\n")
    code, lines = c.reply()
    # Accepted as one message (bare CR/LF normalised) or refused outright
    # (bare LF/CR rejected): both are safe; a 354 here would mean the
    # smuggled DATA was parsed as a command.
    if code == 354:
        fail("smuggled DATA was executed: " + " | ".join(lines))
    print("end of data -> %d %s" % (code, lines[-1]))
    if code // 100 == 2 or code // 100 == 5:
        try:
            c.send(b"NOOP\r\n")
            code2, lines2 = c.reply()
            if code2 == 354 or (code2 == 250 and "smuggled" in " ".join(lines2)):
                fail("a reply for the smuggled transaction: " + " | ".join(lines2))
        except (EOFError, OSError):
            pass  # the appliance closed the session after refusing it
    c.close()


def cmd_inject(a):
    """STARTTLS with a pipelined command in the same packet (CVE-2011-0411):
    the command must be discarded, not answered inside the TLS session."""
    c = Conn(a.host, a.port)
    caps = " ".join(ehlo(c)).upper()
    if "STARTTLS" not in caps:
        fail("STARTTLS not advertised")
    c.send(b"STARTTLS\r\nMAIL FROM:<injected@attacker.example>\r\n")
    c.expect(220, "STARTTLS")
    if c.buf:
        fail("bytes after the 220 before TLS: %r" % c.buf)
    c.starttls()
    c.buf = b""
    c.send(b"EHLO probe.corp.example\r\n")
    code, lines = c.reply()
    if code != 250:
        fail("first reply inside TLS is not the EHLO answer: " + " | ".join(lines))
    if any("STARTTLS" in l.upper() for l in lines):
        fail("STARTTLS advertised again inside TLS")
    # If the injected MAIL had been kept, a second MAIL would get 503.
    c.send(b"MAIL FROM:<" + a.frm.encode() + b">\r\n")
    code, lines = c.reply()
    if code != 250:
        fail("MAIL after TLS: " + " | ".join(lines))
    c.send(b"QUIT\r\n")
    c.reply()
    c.close()


def cmd_pipeline(a):
    """A whole transaction per message in one write (RFC 2920)."""
    c = Conn(a.host, a.port)
    caps = " ".join(ehlo(c)).upper()
    if "PIPELINING" not in caps:
        fail("PIPELINING not advertised")
    for i in range(a.count):
        msg = message("%s %d" % (a.subject, i), b"pipelined body %d\r\n" % i, a.frm, a.to)
        c.send(b"MAIL FROM:<" + a.frm.encode() + b">\r\nRCPT TO:<" + a.to.encode() +
               b">\r\nDATA\r\n")
        c.expect(250, "MAIL %d" % i)
        c.expect(250, "RCPT %d" % i)
        c.expect(354, "DATA %d" % i)
        c.send(msg + b".\r\n")
        c.expect(250, "end of data %d" % i)
    c.send(b"RSET\r\nNOOP\r\nQUIT\r\n")
    c.expect(250, "RSET")
    c.expect(250, "NOOP")
    c.expect(221, "QUIT")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("cmd", choices=["bdat", "smuggle", "inject", "utf8", "pipeline"])
    p.add_argument("--from", dest="frm", default="alice@corp.example")
    p.add_argument("--to", default="bob@partner.example")
    p.add_argument("--subject", default="lab probe")
    p.add_argument("--variant", default="lf")
    p.add_argument("--count", type=int, default=5)
    a = p.parse_args()
    try:
        globals()["cmd_" + a.cmd](a)
    except (OSError, EOFError) as e:
        fail("%s: %s" % (a.cmd, e))
    print("ok: " + a.cmd)


if __name__ == "__main__":
    main()
