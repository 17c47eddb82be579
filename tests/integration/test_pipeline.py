"""Issue #5: a real MTA produces real bounces.

A disposable Postfix on loopback relays campaign mail to a fake remote
SMTP server (fake_smtp.py) that refuses recipients by local part the way
real servers do. Postfix writes real RFC 3464 DSNs - failures, a delay
notice, and the final failure of a deferred message - and delivers them
over LMTP into the private Dovecot, to a dedicated bounce account whose
bounce mailbox is INBOX. Some mail goes out with a VERP return path
(bounces+user=domain@...), some with Postfix's own XVERP, some without.
Each recipient must end up with the right category, reason, status and
address. Everything started here is stopped by pid.
"""

import os
import smtplib
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bouncetest import Check, Dovecot, Runner, User, free_port  # noqa: E402
from postfix_instance import PostfixInstance  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TOP_SRCDIR = os.environ.get("top_srcdir") or os.path.abspath(
    os.path.join(HERE, "..", ".."))
BOUNCE_CONF = os.path.join(TOP_SRCDIR, "conf.d", "90-bounce.conf")
BOUNCE_DOMAIN = "example.com"
REMOTE = "remote.example.org"

# address -> (action, status, reason, category, rule) the final row must
# have; the rule names the table row that decided
EXPECTED = {
    "unknown1@" + REMOTE: ("failed", "5.1.1", "userunknown", "hard",
                           "status:5.1.1"),
    "unknown2@" + REMOTE: ("failed", "5.1.1", "userunknown", "hard",
                           "status:5.1.1"),
    "spam1@" + REMOTE: ("failed", "5.7.1", "spamdetected", "internal",
                        "phrase:spamdetected:"),
    "block1@" + REMOTE: ("failed", "5.7.1", "blocked", "internal",
                         "phrase:blocked:"),
    "big1@" + REMOTE: ("failed", "5.3.4", "mesgtoobig", "soft",
                       "status:5.3.4"),
    "fullperm1@" + REMOTE: ("failed", "5.2.2", "mailboxfull", "soft",
                            "status:5.2.2"),
    # Postfix gives up on a 4xx with Action: failed and the 4.x.x code
    "full1@" + REMOTE: ("failed", "4.2.2", "mailboxfull", "soft",
                        "status:4.2.2"),
}
# recipients whose bounce comes to a VERP return path
VERP = {"unknown1@" + REMOTE, "spam1@" + REMOTE, "block1@" + REMOTE,
        "full1@" + REMOTE}


def campaign_mail(tag, rcpts):
    return ("From: News <news@%s>\r\n"
            "To: %s\r\n"
            "Subject: Campaign %s\r\n"
            "Message-ID: <campaign-%s@%s>\r\n"
            "X-Campaign-Id: pipeline-%s\r\n"
            "\r\n"
            "Hello, this is campaign mail %s.\r\n"
            % (BOUNCE_DOMAIN, ", ".join(rcpts), tag, tag, BOUNCE_DOMAIN,
               tag, tag)).encode()


def verp_sender(rcpt):
    local, domain = rcpt.split("@")
    return "bounces+%s=%s@%s" % (local, domain, BOUNCE_DOMAIN)


class Pipeline:
    def __init__(self, dovecot):
        self.d = dovecot
        self.dir = os.path.join(dovecot.root, "mta")
        os.makedirs(self.dir, mode=0o755)
        self.fake_port = free_port()
        self.smtpd_port = free_port()
        self.fake = None
        self.postfix = PostfixInstance(
            os.path.join(self.dir, "postfix"), self.smtpd_port,
            self.fake_port, dovecot.lmtp_port, BOUNCE_DOMAIN, lifetime="30s")

    def start(self):
        pidfile = os.path.join(self.dir, "fake.pid")
        self.fake = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "fake_smtp.py"),
             str(self.fake_port), pidfile, os.path.join(self.dir, "accepted")],
            stdin=subprocess.DEVNULL,
            stdout=open(os.path.join(self.dir, "fake.log"), "w"),
            stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while not os.path.exists(pidfile):
            if time.time() > deadline or self.fake.poll() is not None:
                raise RuntimeError("fake SMTP server did not start")
            time.sleep(0.05)
        self.postfix.setup()
        self.postfix.start()

    def stop(self):
        self.postfix.stop()
        if self.fake is not None:
            self.fake.terminate()
            try:
                self.fake.wait(10)
            except subprocess.TimeoutExpired:
                self.fake.kill()
                self.fake.wait()
            self.fake = None

    def send(self, sender, rcpts, mail, xverp=False):
        with smtplib.SMTP("127.0.0.1", self.smtpd_port, timeout=30) as c:
            c.ehlo("campaign.example.com")
            opts = ["XVERP"] if xverp else []
            c.sendmail(sender, rcpts, mail, mail_options=opts)


def rows_by_address(d):
    rows = d.bounce_list("bounces")
    by = {}
    for r in rows:
        by.setdefault(r["recipient"], []).append(r)
    return by


def wait_for(d, pred, timeout, what):
    deadline = time.time() + timeout
    while True:
        by = rows_by_address(d)
        if pred(by):
            return by
        if time.time() > deadline:
            raise AssertionError("timed out waiting for %s; rows: %r"
                                 % (what, sorted(by)))
        time.sleep(0.25)


def test_send(p):
    # one message per recipient with a VERP return path of our own
    for rcpt in ("unknown1@" + REMOTE, "full1@" + REMOTE):
        p.send(verp_sender(rcpt), [rcpt], campaign_mail(rcpt[:5], [rcpt]))
    # Postfix's XVERP: one message, the return path encoded per recipient
    xv = ["spam1@" + REMOTE, "block1@" + REMOTE, "ok1@" + REMOTE]
    p.send("bounces@" + BOUNCE_DOMAIN, xv, campaign_mail("xverp", xv),
           xverp=True)
    # no VERP: one DSN with several recipients
    plain = ["unknown2@" + REMOTE, "big1@" + REMOTE,
             "fullperm1@" + REMOTE, "ok2@" + REMOTE]
    p.send("bounces@" + BOUNCE_DOMAIN, plain, campaign_mail("plain", plain))


def test_delay_notice(p):
    rcpt = "full1@" + REMOTE
    by = wait_for(p.d, lambda by: any(r["action"] == "delayed"
                                      for r in by.get(rcpt, [])),
                  30, "the delay notice for " + rcpt)
    row = [r for r in by[rcpt] if r["action"] == "delayed"][0]
    chk = Check("delay notice")
    chk.eq("status", row["status"], "4.2.2")
    chk.eq("reply_code", row["reply_code"], "452")
    chk.eq("category", row["category"], "soft")
    chk.done()


def test_final_rows(p):
    # give up on the deferred message now rather than in 30 s
    p.postfix.expire_deferred()
    by = wait_for(p.d, lambda by: all(
        any(r["action"] == "failed" for r in by.get(a, []))
        for a in EXPECTED), 30, "every failed recipient")
    chk = Check("final rows")
    for address, (action, status, reason, category, rule) in \
            EXPECTED.items():
        row = [r for r in by[address] if r["action"] == action][0]
        shown = p.d.doveadm(["bounce", "show", "-u", "bounces",
                             str(row["id"])])[0]
        chk.true(address + " rule " + shown.get("rule", ""),
                 shown.get("rule", "").startswith(rule))
        chk.eq(address + " status", row["status"], status)
        chk.eq(address + " reason", row["reason"], reason)
        chk.eq(address + " category", row["category"], category)
        chk.eq(address + " remote_mta", row["remote_mta"] != "", True)
        chk.eq(address + " reporting_mta", row["reporting_mta"],
               "mta.example.net")
        chk.true(address + " original_message_id",
                 row["original_message_id"].startswith("<campaign-"),
                 row["original_message_id"])
    # accepted recipients never bounce
    for ok in ("ok1@" + REMOTE, "ok2@" + REMOTE):
        chk.eq(ok + " rows", by.get(ok, []), [])
    chk.done()


def test_verp(p):
    """The VERP-encoded return path names the recipient, and is kept."""
    chk = Check("verp")
    for address in sorted(VERP):
        rows = [r for r in p.d.doveadm(["bounce", "list", "-u", "bounces",
                                        "--recipient", address])]
        chk.true(address + " has rows", len(rows) > 0)
    # the delivered DSNs really were addressed to the VERP return paths
    imap = p.d.imap("bounces")
    try:
        imap.select("INBOX", readonly=True)
        for address in sorted(VERP):
            typ, data = imap.search(None, "HEADER", "Delivered-To",
                                    verp_sender(address))
            chk.true(address + " delivered to " + verp_sender(address),
                     typ == "OK" and data[0].split() != [], repr(data))
    finally:
        imap.logout()
    chk.done()


def main():
    runner = Runner()
    t0 = time.time()
    users = [User("bounces", 5100, extra={"bounce_mailbox": "INBOX"})]
    with Dovecot(users, BOUNCE_CONF) as d:
        p = Pipeline(d)
        try:
            p.start()
            print("# postfix smtpd %d -> fake remote %d; dovecot lmtp %d"
                  % (p.smtpd_port, p.fake_port, d.lmtp_port))
            if runner.run("send campaign mail through postfix", test_send, p):
                runner.run("delay notice recorded", test_delay_notice, p)
                runner.run("final failures classified", test_final_rows, p)
                runner.run("verp return paths", test_verp, p)
            if runner.failed:
                print("# last lines of the Postfix log:")
                for line in p.postfix.log().splitlines()[-30:]:
                    print("#   " + line[:300])
        finally:
            p.stop()
    print("# %.1fs" % (time.time() - t0))
    return runner.finish()


if __name__ == "__main__":
    sys.exit(main())
