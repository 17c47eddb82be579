#!/usr/bin/python3
"""The demo's second half (after the build and "make install"): a private
Dovecot on loopback with conf.d/90-bounce.conf, a handful of sample
bounces delivered over LMTP, and "doveadm bounce list". The instance
keeps running for an IMAP/POP3 client until you stop it.

Usage: scripts/demo-instance.py [DIR]   (default /var/tmp/dovecot-bounce-demo)
"""

import glob
import os
import subprocess
import sys

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
from bouncetest import Dovecot, User, make_dsn, pid_alive  # noqa: E402

ROOT = sys.argv[1] if len(sys.argv) > 1 else "/var/tmp/dovecot-bounce-demo"
DOMAIN = "example.com"


def sample_bounces():
    """The project's own sample DSNs plus a few made up here."""
    mails = [open(p, "rb").read() for p in sorted(
        glob.glob(os.path.join(TOP, "tests", "mail", "rfc3464", "*.eml")))]
    mails.append(make_dsn("demo-unknown", [
        ("nobody.here@example.org", "failed", "5.1.1",
         "550 5.1.1 <nobody.here@example.org>: Recipient address rejected: "
         "User unknown in local recipient table", "mx.example.org")]))
    mails.append(make_dsn("demo-full", [
        ("full@example.net", "failed", "5.2.2",
         "552 5.2.2 <full@example.net>: Mailbox is full / quota exceeded",
         "mx.example.net")], reporting_mta="relay.example.com"))
    mails.append(make_dsn("demo-delay", [
        ("slow@example.org", "delayed", "4.4.1",
         "421 4.4.1 Connection timed out", "mx.example.org")]))
    mails.append(make_dsn("demo-two", [
        ("First@Example.ORG", "failed", "5.1.1",
         "550 5.1.1 <first@example.org>: user unknown", "mx.example.org"),
        ("second@example.org", "failed", "5.7.1",
         "550 5.7.1 <second@example.org>: message rejected as spam",
         "mx.example.org")]))
    return mails


def stop_previous(root):
    """A demo from an earlier run in the same directory: stop it first."""
    conf = os.path.join(root, "etc", "dovecot.conf")
    try:
        with open(os.path.join(root, "run", "master.pid")) as f:
            pid = int(f.read().strip())
    except (OSError, ValueError):
        return
    if pid_alive(pid) and os.path.exists(conf):
        print("Stopping the previous demo instance (pid %d)" % pid)
        subprocess.run(["doveadm", "-c", conf, "stop"], capture_output=True)


def main():
    stop_previous(ROOT)
    users = [User("demo", 5000, password="demo"),
             # an account whose INBOX is its bounce mailbox: for POP3
             User("demo-pop", 5001, password="demo",
                  extra={"bounce_mailbox": "INBOX"})]
    d = Dovecot(users, os.path.join(TOP, "conf.d", "90-bounce.conf"),
                root=ROOT)
    d.start()
    try:
        mails = sample_bounces()
        for mail in mails:
            replies = d.lmtp_deliver(mail, ["demo+Bounces@" + DOMAIN,
                                            "demo-pop@" + DOMAIN])
            for code, text in replies:
                if code != 250:
                    raise RuntimeError("LMTP: %d %s" % (code, text))
        print("Delivered %d sample bounces over LMTP to demo+Bounces@%s "
              "and demo-pop@%s.\n" % (len(mails), DOMAIN, DOMAIN))
        for user in ("demo", "demo-pop"):
            cmd = ["doveadm", "-c", d.conf, "bounce", "list", "-u", user]
            print("$ " + " ".join(cmd))
            sys.stdout.flush()
            subprocess.run(cmd, check=True)
            print()
    except BaseException:
        d.stop()
        raise
    d.detach()
    print("""The private Dovecot keeps running (everything is in {root}):

  IMAP  127.0.0.1 port {imap}, user "demo", password "demo"
        (the bounces are in the mailbox "Bounces")
  POP3  127.0.0.1 port {pop3}, user "demo-pop", password "demo"
        (its bounce mailbox is INBOX, so POP3 sees the bounces)
  LMTP  127.0.0.1 port {lmtp}: deliver more to demo+Bounces@{domain}
  Log   {log}

  More:  doveadm -c {conf} -f json bounce list -u demo
  Stop:  doveadm -c {conf} stop
""".format(root=d.root, imap=d.imap_port, pop3=d.pop3_port, lmtp=d.lmtp_port,
           domain=DOMAIN, log=d.log_path, conf=d.conf))
    return 0


if __name__ == "__main__":
    sys.exit(main())
