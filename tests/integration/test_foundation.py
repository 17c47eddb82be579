#!/usr/bin/python3
"""Issue #2 end to end: every path that saves into the bounce mailbox is
recorded with the right UID, "doveadm bounce list" shows the facts of
the DSN field by field, the mailbox stays an ordinary mailbox for IMAP
and POP3, and a broken database never costs a message.

The expected DSN facts are read from the delivered messages with
Python's email package, independently of the plugin's parser.

Run by tests/integration/run.sh (inside a private mount namespace with
the built modules); prints one line per test and "N passed, N failed".
"""

import calendar
import sqlite3
import socket
import glob
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bouncetest import (  # noqa: E402
    Check, Dovecot, Runner, User, crlf, dsn_facts, imap_append, imap_check,
    imap_copy, imap_fetch_all, imap_move, make_dsn, plain_mail,
    strip_delivery_headers)

TOP_SRCDIR = os.environ.get("top_srcdir") or os.path.abspath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BOUNCE_CONF = os.path.join(TOP_SRCDIR, "conf.d", "90-bounce.conf")
# the project's well-formed RFC 3464 samples: the ones Python's email
# package, the independent reader of the expected facts, can read too
# (the suite also has deliberately broken MIME, checked by regression.sh)
SAMPLES = [p for p in sorted(glob.glob(os.path.join(
               TOP_SRCDIR, "tests", "mail", "rfc3464", "*.eml")))
           if dsn_facts(open(p, "rb").read())[0]["original_message_id"]]
DOMAIN = "example.com"

USERS = [
    User("alice", 5000),
    User("bob", 5001),
    # an account that receives nothing but bounces: POP3 sees them
    User("carol", 5002, extra={"bounce_mailbox": "INBOX"}),
    # broken databases: a missing directory, an unwritable directory,
    # a file that isn't a database
    User("dave", 5003,
         extra={"bounce_db": "{root}/missing/dir/bounces.sqlite"}),
    User("erin", 5004,
         extra={"bounce_db": "{root}/rootonly/bounces.sqlite"}),
    # recording at once: with the spool (the default) a corrupt
    # database fails the import, not the delivery (test_robustness.py)
    User("frank", 5005, extra={"bounce_spool_max_size": "0"}),
    # the other storages an admin may run: the same rows, UIDs and GUIDs
    User("gina", 5006, extra={"mail": "sdbox:~/sdbox"}),
    User("hank", 5007, extra={"mail": "mdbox:~/mdbox"}),
    # maildir deliveries committed without a UID
    User("ivan", 5008),
    # the spool imported by IMAP and POP3 sessions
    User("jack", 5009),
]

USERUNKNOWN_DIAG = ("550 5.1.1 <{addr}>: Recipient address rejected: "
                    "User unknown in virtual mailbox table")


def user_unknown_dsn(tag, addrs, **kw):
    return make_dsn(tag, [(a, "failed", "5.1.1",
                           USERUNKNOWN_DIAG.format(addr=a.lower()),
                           "mx1.example.org") for a in addrs], **kw)


class State:
    """What the tests delivered, per user: {orig_message_id: mailbox}."""

    def __init__(self):
        self.expected = {}
        self.delivered = {}    # orig_message_id -> bytes as delivered

    def expect(self, user, mail, mailbox="Bounces"):
        facts, _ = dsn_facts(mail)
        self.expected.setdefault(user, {})[facts["original_message_id"]] = \
            mailbox
        self.delivered[facts["original_message_id"]] = crlf(mail)
        return facts["original_message_id"]


def rows_by_orig(rows):
    by = {}
    for r in rows:
        by.setdefault(r["original_message_id"], []).append(r)
    return by


def mailbox_uids(d, user, mailbox):
    """{original Message-ID: [UIDs]} of the DSNs in mailbox, as the IMAP
    server reports them, and {uid: bytes}."""
    c = d.imap(user)
    try:
        msgs = imap_fetch_all(c, mailbox)
    finally:
        c.logout()
    uids = {}
    for uid, body in msgs.items():
        facts, _ = dsn_facts(body)
        uids.setdefault(facts["original_message_id"], []).append(uid)
    return uids, msgs


def parse_iso(s):
    return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))


def check_rows(d, user, origs, chk, mailbox="Bounces", uids=None):
    """Check the rows of the DSNs with these original Message-IDs field by
    field against what the DSNs say, and the UIDs against IMAP."""
    rows = rows_by_orig(d.bounce_list(user))
    if uids is None:
        uids, _ = mailbox_uids(d, user, mailbox)
    for orig in origs:
        facts, rcpts = dsn_facts(STATE.delivered[orig])
        got = rows.get(orig, [])
        chk.eq("%s %s: recipients" % (user, orig),
               sorted(r["recipient"] for r in got),
               sorted(r["recipient"] for r in rcpts))
        want_by_rcpt = {r["recipient"]: r for r in rcpts}
        for row in got:
            want = want_by_rcpt.get(row["recipient"])
            if want is None:
                continue
            label = "%s %s <%s>" % (user, orig, row["recipient"])
            chk.true(label + ": id is a positive number",
                     isinstance(row["id"], int) and row["id"] > 0,
                     repr(row["id"]))
            chk.true(label + ": uid is a number", isinstance(row["uid"], int),
                     repr(row["uid"]))
            # a repeated delivery moves the row to the newest copy
            chk.eq(label + ": uid", row["uid"], max(uids.get(orig, [0])))
            chk.eq(label + ": mailbox", row["mailbox"], mailbox)
            try:
                t = parse_iso(row["recorded_at"])
                chk.true(label + ": recorded_at within the test run",
                         d.started_at - 5 <= t <= time.time() + 5,
                         row["recorded_at"])
            except ValueError:
                chk.true(label + ": recorded_at is ISO 8601", False,
                         repr(row["recorded_at"]))
            for key in ("action", "status", "diagnostic", "remote_mta"):
                chk.eq(label + ": " + key, row[key], want[key])
            chk.eq(label + ": reporting_mta", row["reporting_mta"],
                   facts["reporting_mta"])
            chk.eq(label + ": original_message_id",
                   row["original_message_id"], facts["original_message_id"])
            if want["status"] == "5.1.1":
                # a definite status code decides, and the row says so
                chk.eq(label + ": reason", row["reason"], "userunknown")
                chk.eq(label + ": category", row["category"], "hard")
                shown = d.doveadm(["bounce", "show", "-u", user,
                                   str(row["id"])])
                chk.eq(label + ": rule", shown[0].get("rule"),
                       "status:5.1.1")
    return rows


# --- the tests ---

def test_lmtp_single(d):
    """Project samples and our own DSN over LMTP to user+Bounces."""
    chk = Check("LMTP single recipient")
    origs = []
    mails = [open(p, "rb").read() for p in SAMPLES]
    mails.append(user_unknown_dsn("lmtp1", ["Dana@Example.ORG"]))
    chk.true("project RFC 3464 samples exist", len(SAMPLES) > 0, TOP_SRCDIR)
    for mail in mails:
        origs.append(STATE.expect("alice", mail))
        replies = d.lmtp_deliver(mail, ["alice+Bounces@" + DOMAIN])
        chk.eq("LMTP reply", replies[0][0], 250)
    check_rows(d, "alice", origs, chk)
    chk.done()


def test_lmtp_multi(d):
    """One LMTP transaction, two users, a DSN with two recipients."""
    chk = Check("LMTP multi-recipient")
    mail = make_dsn("multi1", [
        ("Erik@Example.NET", "failed", "5.1.1",
         USERUNKNOWN_DIAG.format(addr="erik@example.net"), "mx2.example.net"),
        ("fay@example.net", "failed", "5.2.2",
         "552 5.2.2 <fay@example.net>: mailbox is full", "mx2.example.net"),
    ])
    for user in ("alice", "bob"):
        orig = STATE.expect(user, mail)
    replies = d.lmtp_deliver(mail, ["alice+Bounces@" + DOMAIN,
                                    "bob+Bounces@" + DOMAIN])
    chk.eq("LMTP replies", [r[0] for r in replies], [250, 250])
    for user in ("alice", "bob"):
        check_rows(d, user, [orig], chk)
    chk.done()


def test_lda(d):
    chk = Check("dovecot-lda")
    mail = user_unknown_dsn("lda1", ["gus@example.org"])
    orig = STATE.expect("alice", mail)
    res = d.lda_deliver(mail, "alice", "Bounces")
    chk.eq("dovecot-lda rc", res.returncode, 0)
    chk.eq("dovecot-lda stderr", res.stderr.decode(), "")
    check_rows(d, "alice", [orig], chk)
    chk.done()


def test_imap_append(d):
    chk = Check("IMAP APPEND")
    mail = user_unknown_dsn("append1", ["hal@example.org"])
    orig = STATE.expect("alice", mail)
    c = d.imap("alice")
    try:
        uid = imap_append(c, "Bounces", crlf(mail))
    finally:
        c.logout()
    rows = check_rows(d, "alice", [orig], chk)
    chk.eq("row uid = APPENDUID", [r["uid"] for r in rows[orig]], [uid])
    chk.done()


def test_imap_copy_move(d):
    """DSNs delivered to INBOX are not recorded; COPY and MOVE into
    Bounces record them with the UIDs from COPYUID."""
    chk = Check("IMAP COPY/MOVE")
    mails = {tag: user_unknown_dsn(tag, ["ivy.%s@example.org" % tag])
             for tag in ("copy1", "move1")}
    origs = {}
    for tag, mail in mails.items():
        origs[tag] = dsn_facts(mail)[0]["original_message_id"]
        chk.eq("LMTP to INBOX", d.lmtp_deliver(mail, ["alice@" + DOMAIN])[0][0],
               250)
    d.lmtp_deliver(plain_mail("inbox1"), ["alice@" + DOMAIN])
    rows = rows_by_orig(d.bounce_list("alice"))
    for tag, orig in origs.items():
        chk.true("DSN saved to INBOX is not recorded (%s)" % tag,
                 orig not in rows)
    chk.true("plain mail to INBOX is not recorded", "" not in rows)

    inbox_uids, _ = mailbox_uids(d, "alice", "INBOX")
    c = d.imap("alice")
    try:
        imap_check(*c.select("INBOX"), what="SELECT INBOX")
        copy_uid = imap_copy(c, inbox_uids[origs["copy1"]][0], "Bounces")
        move_uid = imap_move(c, inbox_uids[origs["move1"]][0], "Bounces")
    finally:
        c.logout()
    for tag in ("copy1", "move1"):
        STATE.expect("alice", mails[tag])
    rows = check_rows(d, "alice", origs.values(), chk)
    chk.eq("COPY: row uid = COPYUID",
           [r["uid"] for r in rows[origs["copy1"]]], [copy_uid])
    chk.eq("MOVE: row uid = COPYUID",
           [r["uid"] for r in rows[origs["move1"]]], [move_uid])
    inbox_after, _ = mailbox_uids(d, "alice", "INBOX")
    chk.true("MOVE removed the message from INBOX",
             origs["move1"] not in inbox_after)
    chk.true("COPY kept the message in INBOX", origs["copy1"] in inbox_after)
    chk.done()


def test_doveadm_save(d):
    chk = Check("doveadm save")
    mail = user_unknown_dsn("dsave1", ["jay@example.org"])
    orig = STATE.expect("alice", mail)
    d.doveadm_save(mail, "alice", "Bounces")
    check_rows(d, "alice", [orig], chk)
    chk.done()


def test_content_unchanged(d):
    """IMAP returns every message as it was delivered (LMTP and LDA only
    prepend their trace headers)."""
    chk = Check("mailbox content")
    uids, msgs = mailbox_uids(d, "alice", "Bounces")
    for orig in STATE.expected["alice"]:
        for uid in uids.get(orig, []):
            chk.eq("%s uid %d: message" % (orig, uid),
                   strip_delivery_headers(msgs[uid]),
                   strip_delivery_headers(STATE.delivered[orig]))
    chk.true("every delivered DSN is in Bounces",
             set(STATE.expected["alice"]) <= set(uids),
             repr(set(STATE.expected["alice"]) - set(uids)))
    c = d.imap("alice")
    try:
        typ, data = c.select("Bounces")
        imap_check(typ, data, "SELECT Bounces")
        chk.eq("SELECT Bounces EXISTS", int(data[0]), len(msgs))
        typ, data = c.fetch("1", "(BODYSTRUCTURE)")
        imap_check(typ, data, "FETCH BODYSTRUCTURE")
        chk.true("BODYSTRUCTURE shows the delivery-status part",
                 b'"delivery-status"' in data[0].lower(), repr(data[0]))
    finally:
        c.logout()
    chk.done()


def test_pop3(d):
    """Where the bounce mailbox is INBOX, POP3 reads what was recorded."""
    chk = Check("POP3 with bounce_mailbox = INBOX")
    mail = user_unknown_dsn("pop1", ["kim@example.org"])
    orig = STATE.expect("carol", mail, "INBOX")
    chk.eq("LMTP reply", d.lmtp_deliver(mail, ["carol@" + DOMAIN])[0][0], 250)
    check_rows(d, "carol", [orig], chk, mailbox="INBOX")
    p = d.pop3("carol")
    try:
        count, _ = p.stat()
        chk.eq("POP3 STAT count", count, 1)
        resp, lines, _ = p.retr(1)
        chk.true("POP3 RETR +OK", resp.startswith(b"+OK"), repr(resp))
        chk.eq("POP3 RETR content",
               strip_delivery_headers(b"\r\n".join(lines) + b"\r\n"),
               strip_delivery_headers(crlf(mail)))
    finally:
        p.quit()
    chk.done()


def test_doveadm_formats(d):
    """-A lists every user's rows; every formatter works; numbers are
    never empty."""
    chk = Check("doveadm bounce list formatters")
    rows = d.bounce_list(all_users=True)
    users = {r.get("username") for r in rows}
    chk.true("-A has alice, bob and carol",
             {"alice", "bob", "carol"} <= users, repr(users))
    for user in ("alice", "bob", "carol"):
        mine = [dict((k, v) for k, v in r.items() if k != "username")
                for r in rows if r.get("username") == user]
        chk.eq("-A rows of %s = -u rows" % user, mine, d.bounce_list(user))
    keys = ["id", "recorded_at", "mailbox", "uid", "recipient", "action",
            "status", "diagnostic", "reporting_mta", "remote_mta",
            "original_message_id"]
    for r in d.bounce_list("alice"):
        chk.true("row has the issue's keys", all(k in r for k in keys),
                 repr(sorted(r)))
        for k in ("id", "uid"):
            chk.true("json %s is a number" % k, isinstance(r[k], int),
                     repr(r[k]))
    for fmt in ("table", "tab", "flow"):
        res = d.doveadm_run(["bounce", "list", "-u", "alice"], formatter=fmt)
        chk.eq("-f %s rc" % fmt, res.returncode, 0)
        chk.true("-f %s prints rows" % fmt, b"alice" in res.stdout.lower() or
                 b"example" in res.stdout, res.stderr.decode())
    res = d.doveadm_run(["bounce", "list", "-u", "alice"], formatter="tab")
    lines = res.stdout.decode().splitlines()
    header = lines[0].split("\t")
    for line in lines[1:]:
        f = dict(zip(header, line.split("\t")))
        for k in ("id", "uid"):
            chk.true("tab %s is a non-empty number" % k,
                     f.get(k, "").isdigit(), repr(f.get(k)))
    chk.done()


def test_concurrent(d, clients=8, per_client=10):
    """Concurrent single-recipient LMTP deliveries into one maildir: every
    row gets its message's UID."""
    chk = Check("concurrent LMTP")
    errors = []
    origs = []

    def client(n):
        try:
            with d.lmtp_session() as conn:
                for i in range(per_client):
                    mail = user_unknown_dsn("conc-%d-%d" % (n, i),
                                            ["lee.%d.%d@example.org" % (n, i)])
                    code = d.lmtp_send(conn, mail,
                                       ["bob+Bounces@" + DOMAIN])[0][0]
                    if code != 250:
                        errors.append("client %d mail %d: %d" % (n, i, code))
        except Exception as e:
            errors.append("client %d: %r" % (n, e))

    for n in range(clients):
        for i in range(per_client):
            origs.append(STATE.expect("bob", user_unknown_dsn(
                "conc-%d-%d" % (n, i), ["lee.%d.%d@example.org" % (n, i)])))
    threads = [threading.Thread(target=client, args=(n,))
               for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    chk.eq("delivery errors", errors, [])
    rows = check_rows(d, "bob", origs, chk)
    uids = [r["uid"] for o in origs for r in rows.get(o, [])]
    chk.eq("rows", len(uids), clients * per_client)
    chk.true("every uid is non-zero", all(u > 0 for u in uids),
             "%d zero" % sum(1 for u in uids if u == 0))
    chk.eq("distinct uids", len(set(uids)), len(uids))
    chk.done()


def test_no_duplicates(d):
    """The same bounce again (redelivery, doveadm save) keeps one row per
    recipient, which follows the newest copy."""
    chk = Check("no duplicate rows")
    mail = make_dsn("dup1", [
        ("mo@example.org", "failed", "5.1.1",
         USERUNKNOWN_DIAG.format(addr="mo@example.org"), "mx1.example.org"),
        ("ned@example.org", "delayed", "4.4.1",
         "421 4.4.1 connection timed out", "mx1.example.org")])
    orig = STATE.expect("alice", mail)
    d.lmtp_deliver(mail, ["alice+Bounces@" + DOMAIN])
    before = rows_by_orig(d.bounce_list("alice"))[orig]
    d.lmtp_deliver(mail, ["alice+Bounces@" + DOMAIN])
    d.doveadm_save(mail, "alice", "Bounces")
    after = rows_by_orig(d.bounce_list("alice"))[orig]
    chk.eq("rows after 3 saves", len(after), 2)
    chk.eq("row ids kept", sorted(r["id"] for r in after),
           sorted(r["id"] for r in before))
    uids, _ = mailbox_uids(d, "alice", "Bounces")
    chk.eq("3 copies in the mailbox", len(uids.get(orig, [])), 3)
    check_rows(d, "alice", [orig], chk, uids=uids)
    chk.done()


def test_message_guids(d):
    """Every row names its message by the mailbox's and the message's own
    GUIDs, as Dovecot itself reports them."""
    chk = Check("message GUIDs")
    fetched = d.doveadm(["fetch", "-u", "alice", "uid guid mailbox-guid",
                         "mailbox", "Bounces"])
    by_uid = {int(m["uid"]): m for m in fetched}
    rows = d.bounce_list("alice")
    chk.true("rows", len(rows) > 0)
    for row in rows:
        shown = d.doveadm(["bounce", "show", "-u", "alice", str(row["id"])])
        fields = shown[0] if isinstance(shown, list) and shown else {}
        msg = by_uid.get(int(row["uid"]))
        if msg is None:
            continue  # moved away again by the COPY/MOVE test
        chk.eq("row %s message_guid" % row["id"], fields.get("message_guid"),
               msg["guid"])
        chk.eq("row %s mailbox_guid" % row["id"], fields.get("mailbox_guid"),
               msg["mailbox-guid"])
    chk.done()


def test_dbox_storages(d):
    """sdbox and mdbox: LMTP (one and two recipients), APPEND and doveadm
    save are recorded with the UIDs and GUIDs Dovecot reports."""
    chk = Check("sdbox and mdbox")
    for user in ("gina", "hank"):
        mails = [user_unknown_dsn("%s-lmtp1" % user, ["a.%s@example.org" % user]),
                 make_dsn("%s-lmtp2" % user, [
                     ("b.%s@example.net" % user, "failed", "5.1.1",
                      USERUNKNOWN_DIAG.format(addr="b.%s@example.net" % user),
                      "mx2.example.net"),
                     ("c.%s@example.net" % user, "failed", "5.2.2",
                      "552 5.2.2 mailbox is full", "mx2.example.net")]),
                 user_unknown_dsn("%s-append" % user, ["d.%s@example.org" % user]),
                 user_unknown_dsn("%s-save" % user, ["e.%s@example.org" % user])]
        origs = [STATE.expect(user, m) for m in mails]
        for mail in mails[:2]:
            chk.eq("%s: LMTP reply" % user,
                   d.lmtp_deliver(mail, [user + "+Bounces@" + DOMAIN])[0][0], 250)
        c = d.imap(user)
        try:
            append_uid = imap_append(c, "Bounces", crlf(mails[2]))
        finally:
            c.logout()
        d.doveadm_save(mails[3], user)
        rows = check_rows(d, user, origs, chk)
        chk.eq("%s: row uid = APPENDUID" % user,
               [r["uid"] for r in rows[origs[2]]], [append_uid])
        fetched = d.doveadm(["fetch", "-u", user, "uid guid mailbox-guid",
                             "mailbox", "Bounces"])
        by_uid = {int(m["uid"]): m for m in fetched}
        for row in d.bounce_list(user):
            shown = d.doveadm(["bounce", "show", "-u", user, str(row["id"])])
            fields = shown[0] if isinstance(shown, list) and shown else {}
            msg = by_uid.get(int(row["uid"]), {})
            chk.eq("%s row %s message_guid" % (user, row["id"]),
                   fields.get("message_guid"), msg.get("guid"))
            chk.eq("%s row %s mailbox_guid" % (user, row["id"]),
                   fields.get("mailbox_guid"), msg.get("mailbox-guid"))
    chk.done()


def spool_rows(d, user):
    """The spooled rows' fields (see bounce-store-record.c): [3] the
    key, [6] the UID, [36] the file name."""
    path = os.path.join(d.home(user), "bounces.sqlite-spool")
    with open(path, encoding="utf-8", errors="replace") as f:
        return [l.rstrip("\n").split("\t") for l in f]


def test_maildir_late_uids(d):
    """A maildir delivery that can't get dovecot-uidlist's lock at once
    is committed without a UID, and the plugin doesn't make it wait: the
    row keeps the file name, and doveadm gives it the UID and GUID the
    message gets. The lock is held here the way a busy mailbox holds it."""
    chk = Check("maildir UIDs after commit")
    user = "ivan"
    first = user_unknown_dsn("late-0", ["late0@example.org"])
    mails = [user_unknown_dsn("late-%d" % i, ["late%d@example.org" % i])
             for i in (1, 2, 3)]
    origs = [STATE.expect(user, m) for m in [first] + mails[:2]]
    chk.eq("first delivery",
           d.lmtp_deliver(first, [user + "+Bounces@" + DOMAIN])[0][0], 250)
    lock = os.path.join(d.home(user), "Maildir", ".Bounces",
                        "dovecot-uidlist.lock")
    with open(lock, "w") as f:
        f.write("%d:%s" % (os.getpid(), socket.gethostname()))
    os.chown(lock, 5008, 5008)
    try:
        for m in mails:
            chk.eq("LMTP reply while locked",
                   d.lmtp_deliver(m, [user + "+Bounces@" + DOMAIN])[0][0],
                   250)
    finally:
        os.unlink(lock)
    spooled = spool_rows(d, user)[-3:]
    chk.eq("recorded without UIDs", [r[6] for r in spooled], ["0"] * 3)
    chk.true("with their file names", all(r[36] for r in spooled))

    # the third is expunged before anyone asked for its row
    c = d.imap(user)
    try:
        typ, data = c.select("Bounces")
        imap_check(typ, data, "SELECT")
        typ, data = c.uid("SEARCH", "HEADER", "Message-ID",
                          "dsn-late-3")
        imap_check(typ, data, "SEARCH")
        gone_uid = data[0].split()[-1].decode()
        imap_check(*c.uid("STORE", gone_uid, "+FLAGS", "(\\Deleted)"),
                   what="STORE")
        imap_check(*c.expunge(), what="EXPUNGE")
    finally:
        c.logout()

    check_rows(d, user, origs, chk)
    fetched = d.doveadm(["fetch", "-u", user, "uid guid", "mailbox",
                         "Bounces"])
    by_uid = {int(m["uid"]): m for m in fetched}
    listed = d.bounce_list(user)
    for row in listed:
        if int(row["uid"]) == 0:
            continue
        shown = d.doveadm(["bounce", "show", "-u", user, str(row["id"])])
        fields = shown[0] if isinstance(shown, list) and shown else {}
        chk.eq("row %s message_guid" % row["id"], fields.get("message_guid"),
               by_uid.get(int(row["uid"]), {}).get("guid"))
    # the gap that is left: a message gone before doveadm ran keeps no UID
    gone = [r for r in listed if r["recipient"] == "late3@example.org"]
    chk.eq("expunged first: one row, UID unknown",
           [int(r["uid"]) for r in gone], [0])
    # a rescan finds every message recorded: no second row
    res = d.doveadm(["bounce", "rescan", "-u", user])
    chk.eq("rescan records nothing", int(res[0]["recorded"]), 0)
    chk.eq("rows after rescan", len(d.bounce_list(user)), len(listed))
    chk.done()


def db_recipients(d, user):
    """The recipients in the user's database, read without doveadm
    (which would import the spool itself)."""
    path = os.path.join(d.home(user), "bounces.sqlite")
    if not os.path.exists(path):
        return []
    conn = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        return sorted(r[0] for r in conn.execute(
            "SELECT recipient FROM bounces"))
    except sqlite3.OperationalError:
        return []   # being created right now
    finally:
        conn.close()


def wait_until(cond, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


def test_spool_imported_at_logout(d):
    """Deliveries only append to the spool; an IMAP session, then a POP3
    session of the user import it when they end, no doveadm involved."""
    chk = Check("spool imported at logout")
    user = "jack"
    spool = os.path.join(d.home(user), "bounces.sqlite-spool")
    for proto, n in (("imap", 1), ("pop3", 2)):
        mail = user_unknown_dsn("logout-%d" % n, ["logout%d@example.org" % n])
        STATE.expect(user, mail)
        chk.eq("%s: LMTP reply" % proto,
               d.lmtp_deliver(mail, [user + "+Bounces@" + DOMAIN])[0][0], 250)
        chk.true("%s: spooled" % proto, os.path.getsize(spool) > 0)
        chk.true("%s: not in the database yet" % proto,
                 "logout%d@example.org" % n not in db_recipients(d, user))
        if proto == "imap":
            c = d.imap(user)
            imap_check(*c.select("Bounces", readonly=True), what="SELECT")
            c.logout()
        else:
            c = d.pop3(user)
            c.stat()
            c.quit()
        chk.true("%s: imported when the session ended" % proto, wait_until(
            lambda: "logout%d@example.org" % n in db_recipients(d, user)))
        chk.true("%s: spool emptied" % proto, wait_until(
            lambda: not os.path.exists(spool)))
    chk.done()


def test_db_file(d):
    chk = Check("database file")
    path = os.path.join(d.home("alice"), "bounces.sqlite")
    st = os.stat(path)
    chk.eq("mode", oct(st.st_mode & 0o777), oct(0o600))
    chk.eq("owner", (st.st_uid, st.st_gid), (5000, 5000))
    chk.done()


def test_broken_db(d):
    """A database that can't be written: LMTP still says 250, the message
    is in the mailbox, and each failed save is logged once, naming the
    user, the mailbox and the cause."""
    chk = Check("unwritable bounce_db")
    os.mkdir(os.path.join(d.root, "rootonly"), 0o755)
    with open(os.path.join(d.home("frank"), "bounces.sqlite"), "wb") as f:
        f.write(b"this is not an SQLite database\n" * 200)
    os.chown(os.path.join(d.home("frank"), "bounces.sqlite"), 5005, 5005)
    causes = {"dave": "No such file or directory",
              "erin": "Permission denied",
              "frank": "not a database"}
    for user, cause in causes.items():
        for n in (1, 2):
            mail = user_unknown_dsn("broken-%s-%d" % (user, n),
                                    ["oz@example.org"])
            orig = dsn_facts(mail)[0]["original_message_id"]
            offset = d.log_size()
            replies = d.lmtp_deliver(mail, ["%s+Bounces@%s" % (user, DOMAIN)])
            chk.eq("%s #%d: LMTP reply" % (user, n), replies[0][0], 250)
            uids, _ = mailbox_uids(d, user, "Bounces")
            chk.true("%s #%d: message is in Bounces" % (user, n),
                     orig in uids)
            errors = d.wait_log(offset, r"Error: ", timeout=3)
            time.sleep(0.3)   # a second line would come right after
            errors = d.wait_log(offset, r"Error: ", timeout=0)
            chk.eq("%s #%d: error lines" % (user, n), len(errors), 1)
            if errors:
                line = errors[0]
                chk.true("%s #%d: error names the user" % (user, n),
                         user in line, line)
                chk.true("%s #%d: error names the mailbox" % (user, n),
                         "Bounces" in line, line)
                chk.true("%s #%d: error names the cause (%s)" % (user, n, cause),
                         cause in line, line)
    chk.eq("doveadm bounce list of dave (no database)",
           d.bounce_list("dave"), [])
    chk.done()


def test_no_errors_logged(d):
    """Nothing else in the run logged an error or a panic."""
    chk = Check("log")
    bad = [l for l in d.read_log().splitlines()
           if ("Error:" in l or "Panic:" in l or "Fatal:" in l)
           and not any(u in l for u in ("dave", "erin", "frank"))]
    chk.eq("unexpected errors", bad, [])
    chk.done()


STATE = State()


def main():
    runner = Runner()
    t0 = time.time()
    with Dovecot(USERS, BOUNCE_CONF) as d:
        print("# private Dovecot in %s (imap %d, pop3 %d, lmtp %d)" % (
            d.root, d.imap_port, d.pop3_port, d.lmtp_port))
        for name, func in [
                ("lmtp single recipient", test_lmtp_single),
                ("lmtp multi-recipient", test_lmtp_multi),
                ("dovecot-lda", test_lda),
                ("imap append", test_imap_append),
                ("imap copy and move; INBOX not recorded", test_imap_copy_move),
                ("doveadm save", test_doveadm_save),
                ("no duplicate rows", test_no_duplicates),
                ("mailbox content unchanged", test_content_unchanged),
                ("pop3 where bounce_mailbox = INBOX", test_pop3),
                ("concurrent lmtp 8x10", test_concurrent),
                ("doveadm list -A and formatters", test_doveadm_formats),
                ("message and mailbox GUIDs", test_message_guids),
                ("sdbox and mdbox", test_dbox_storages),
                ("maildir: UIDs given after commit", test_maildir_late_uids),
                ("spool imported at IMAP/POP3 logout",
                 test_spool_imported_at_logout),
                ("database file mode and owner", test_db_file),
                ("unwritable or corrupt bounce_db", test_broken_db),
                ("no unexpected errors logged", test_no_errors_logged)]:
            runner.run(name, func, d)
        if runner.failed:
            d.print_log_tail()
    print("# %.1fs" % (time.time() - t0))
    return runner.finish()


if __name__ == "__main__":
    sys.exit(main())
