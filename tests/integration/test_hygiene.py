#!/usr/bin/python3
"""Issue #4 end to end: list hygiene on a real Dovecot, every bounce
delivered over LMTP.

- the suppression policy: a hard bounce and a complaint suppress at once,
  5 soft bounces within 30 days suppress (their times come from the
  DSNs' Arrival-Date, so the test spreads them over days), fewer or
  spread wider don't, internal (RBL) blocks, auto-replies and delay
  notices never do;
- "bounce stats", "bounce suppressed" and "bounce export" checked field
  by field against what the tests delivered;
- deleting the database and running "bounce rescan" gives back the same
  rows and state; a corrupt database is moved aside;
- "unsuppress", "forget" (nothing left, not even in the file) and
  "prune";
- with bounce_keywords = yes the category keywords are visible over IMAP
  and the messages are byte-identical to what was delivered.

The categories of the test bounces depend on the classifier: 5.1.1 user
unknown = hard, 4.2.2/5.2.2 mailbox full = soft, 5.7.1 "blocked using"
an RBL = internal, ARF = complaint, RFC 3834 = autoreply.

Run by tests/integration/run.sh; prints one line per test and
"N passed, N failed".
"""

import calendar
import csv
import email.utils
import glob
import io
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bouncetest import (  # noqa: E402
    Check, Dovecot, Runner, User, crlf, imap_check, imap_fetch_all,
    make_dsn, strip_delivery_headers)

TOP_SRCDIR = os.environ.get("top_srcdir") or os.path.abspath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BOUNCE_CONF = os.path.join(TOP_SRCDIR, "conf.d", "90-bounce.conf")
DOMAIN = "example.com"
USER = "hygiene"
USERS = [User(USER, 5100, extra={"bounce_keywords": "yes"})]
DAY = 24 * 60 * 60
# the bounces happen relative to the start of the run, whole seconds
NOW = int(time.time())

COUNT_KEYS = ("hard", "soft", "internal", "complaint", "autoreply",
              "unknown", "delayed")


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def rfc822_date(t):
    return email.utils.formatdate(t, usegmt=False).replace("-0000", "+0000")


class Delivered:
    """What the tests delivered: one entry per bounce row expected."""

    def __init__(self):
        self.rows = []       # (address, category, action, bounced_at)
        self.mails = {}      # message_id -> exact bytes delivered
        self.seq = 0

    def tag(self, what):
        self.seq += 1
        return "%s-%d" % (what, self.seq)


SENT = Delivered()


def deliver(d, mail, message_id, rows):
    raw = crlf(mail)
    replies = d.lmtp_deliver(raw, [USER + "+Bounces@" + DOMAIN])
    if replies[0][0] != 250:
        raise RuntimeError("LMTP: %r" % (replies,))
    SENT.mails[message_id] = raw
    SENT.rows.extend(rows)


def send_dsn(d, address, status, diag, days_ago, action="failed",
             category=None, subject=None):
    """An RFC 3464 DSN whose Arrival-Date is days_ago before NOW."""
    tag = SENT.tag("dsn")
    at = NOW - int(days_ago * DAY)
    mail = make_dsn(tag, [(address, action, status, diag, "mx.example.org")],
                    subject=subject)
    mail = mail.replace("Arrival-Date: Tue, 03 Nov 2026 09:15:00 +0000",
                        "Arrival-Date: " + rfc822_date(at))
    deliver(d, mail, "<dsn-%s@mx.example.net>" % tag,
            [(address, category, action, at)])
    return at


def send_hard(d, address, days_ago=1, subject=None):
    return send_dsn(d, address, "5.1.1",
                    "550 5.1.1 <%s>: Recipient address rejected: User "
                    "unknown in virtual mailbox table" % address,
                    days_ago, category="hard", subject=subject)


def send_soft(d, address, days_ago):
    return send_dsn(d, address, "4.2.2",
                    "452 4.2.2 <%s>: Mailbox full, over quota" % address,
                    days_ago, category="soft")


def send_rbl(d, address, days_ago):
    return send_dsn(d, address, "5.7.1",
                    "554 5.7.1 Service unavailable; Client host "
                    "[192.0.2.25] blocked using zen.spamhaus.org",
                    days_ago, category="internal")


def send_delayed(d, address, days_ago):
    return send_dsn(d, address, "4.4.7",
                    "Delivery delayed: connection timed out", days_ago,
                    action="delayed", category="soft")


def send_arf(d, address):
    tag = SENT.tag("arf")
    mail = """\
From: Feedback Loop <fbl@isp.example.net>
To: abuse@example.com
Subject: FW: News {tag}
Date: {date}
Message-ID: <arf-{tag}@isp.example.net>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report;
\tboundary="=_arf_{tag}"

--=_arf_{tag}
Content-Type: text/plain; charset=us-ascii

This is an email abuse report for an email message received from IP
192.0.2.25 on {date}.

--=_arf_{tag}
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: ExampleFBL/1.0
Version: 1
Original-Mail-From: <bounces@example.com>
Original-Rcpt-To: <{addr}>
Arrival-Date: {date}
Source-IP: 192.0.2.25
Reported-Domain: example.com

--=_arf_{tag}
Content-Type: message/rfc822

From: Example News <news@example.com>
To: {addr}
Subject: News {tag}
Date: {date}
Message-ID: <orig-{tag}@example.com>

Hello.

--=_arf_{tag}--
""".format(tag=tag, addr=address, date=rfc822_date(NOW - DAY))
    deliver(d, mail, "<arf-%s@isp.example.net>" % tag,
            [(address, "complaint", "", None)])


def send_autoreply(d, address):
    tag = SENT.tag("auto")
    mail = """\
From: Away Person <{addr}>
To: bounces@example.com
Subject: Automatic reply: News {tag}
Date: {date}
Message-ID: <auto-{tag}@example.org>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

I am out of the office until Monday and will read your message then.
""".format(tag=tag, addr=address, date=rfc822_date(NOW - DAY))
    deliver(d, mail, "<auto-%s@example.org>" % tag,
            [(address, "autoreply", "", None)])


# --- reading results ---

def addresses(d, extra=()):
    """{address: row} of "bounce suppressed --all" (every state)."""
    return {r["address"]: r for r in d.doveadm(
        ["bounce", "suppressed", "-u", USER, "--all"] + list(extra))}


def suppressed(d):
    return {r["address"]: r for r in d.doveadm(
        ["bounce", "suppressed", "-u", USER])}


def export(d, what, fmt="jsonl"):
    res = d.doveadm_run(["bounce", "export", "-u", USER, "--what", what,
                         "--format", fmt])
    if res.returncode != 0:
        raise RuntimeError("export: %s" % res.stderr.decode())
    return res.stdout.decode()


def export_jsonl(d, what):
    return [json.loads(l) for l in export(d, what).splitlines()]


def expected_counts(address):
    counts = dict.fromkeys(COUNT_KEYS, 0)
    for addr, cat, action, _ in SENT.rows:
        if addr != address:
            continue
        counts["delayed" if action == "delayed" else cat] += 1
    return counts


def check_counts(chk, label, row, address):
    for key, want in expected_counts(address).items():
        chk.eq("%s %s" % (label, key), row.get(key), want)


# --- the policy ---

def test_hard(d):
    chk = Check("hard bounce")
    at = send_hard(d, "gone@example.org", days_ago=3)
    row = suppressed(d).get("gone@example.org")
    chk.true("suppressed", row is not None)
    if row:
        chk.eq("since", row["since"], iso(at))
        chk.eq("category", row["category"], "hard")
        chk.eq("reason", row["reason"], "userunknown")
        chk.eq("last_bounce", row["last_bounce"], iso(at))
        check_counts(chk, "count", row, "gone@example.org")
    chk.done()


def test_soft(d):
    chk = Check("soft bounces")
    # 4 within 30 days: counted, not suppressed
    for days in (20, 15, 10, 6):
        send_soft(d, "full@example.net", days)
    row = addresses(d).get("full@example.net", {})
    chk.eq("after 4: state", row.get("state"), "active")
    chk.eq("after 4: soft", row.get("soft"), 4)
    chk.true("after 4: not in suppressed",
             "full@example.net" not in suppressed(d))
    # the 5th suppresses, as of its own time
    at = send_soft(d, "full@example.net", 2)
    row = suppressed(d).get("full@example.net")
    chk.true("after 5: suppressed", row is not None)
    if row:
        chk.eq("since", row["since"], iso(at))
        chk.eq("category", row["category"], "soft")
        chk.eq("reason", row["reason"], "mailboxfull")
        check_counts(chk, "count", row, "full@example.net")
    # 5 spread over 100 days: the old ones expire
    for days in (100, 75, 50, 25, 1):
        send_soft(d, "slow@example.net", days)
    row = addresses(d).get("slow@example.net", {})
    chk.eq("spread: state", row.get("state"), "active")
    chk.eq("spread: soft", row.get("soft"), 5)
    chk.done()


def test_never_suppress(d):
    chk = Check("internal, autoreply, delayed")
    for days in range(6, 0, -1):
        send_rbl(d, "blocked@example.org", days)
        send_delayed(d, "slowmx@example.org", days)
    for _ in range(3):
        send_autoreply(d, "away@example.org")
    rows = addresses(d)
    for addr in ("blocked@example.org", "slowmx@example.org",
                 "away@example.org"):
        row = rows.get(addr, {})
        chk.eq(addr + " state", row.get("state"), "active")
        check_counts(chk, addr, row, addr)
    chk.done()


def test_complaint(d):
    chk = Check("complaint")
    send_arf(d, "annoyed@example.org")
    row = suppressed(d).get("annoyed@example.org")
    chk.true("suppressed", row is not None)
    if row:
        chk.eq("category", row["category"], "complaint")
        chk.eq("reason", row["reason"], "feedback")
        chk.eq("complaint", row["complaint"], 1)
    chk.done()


# --- reports ---

def test_suppressed_list(d):
    chk = Check("bounce suppressed")
    got = suppressed(d)
    chk.eq("addresses", sorted(got),
           sorted(["gone@example.org", "full@example.net",
                   "annoyed@example.org"]))
    for addr, row in got.items():
        chk.eq(addr + " columns", list(row), [
            "address", "since", "category", "reason", "hard", "soft",
            "internal", "complaint", "autoreply", "unknown", "delayed",
            "last_bounce"])
        check_counts(chk, addr, row, addr)
    # oldest suppression first
    chk.eq("order", [r["since"] for r in got.values()],
           sorted(r["since"] for r in got.values()))
    chk.done()


def test_stats(d):
    chk = Check("bounce stats")
    by_cat = {r["category"]: r for r in d.doveadm(
        ["bounce", "stats", "-u", USER, "--by", "category"])}
    for cat in ("hard", "soft", "internal", "complaint", "autoreply"):
        rows = [r for r in SENT.rows if r[1] == cat]
        got = by_cat.get(cat, {})
        chk.eq(cat + " bounces", got.get("bounces"), len(rows))
        chk.eq(cat + " addresses", got.get("addresses"),
               len({r[0] for r in rows}))
        delayed = len([r for r in rows if r[2] == "delayed"])
        chk.eq(cat + " own count", got.get(cat), len(rows) - delayed)
        chk.eq(cat + " delayed", got.get("delayed"), delayed)

    by_domain = {r["domain"]: r for r in d.doveadm(
        ["bounce", "stats", "-u", USER, "--by", "domain"])}
    for dom in ("example.org", "example.net"):
        rows = [r for r in SENT.rows if r[0].endswith("@" + dom)]
        chk.eq(dom + " bounces", by_domain.get(dom, {}).get("bounces"),
               len(rows))
        chk.eq(dom + " soft", by_domain.get(dom, {}).get("soft"),
               len([r for r in rows if r[1] == "soft" and r[2] != "delayed"]))

    # --since: only the last 7 days, per day
    since = time.strftime("%Y-%m-%d", time.gmtime(NOW - 7 * DAY))
    by_day = {r["day"]: r["bounces"] for r in d.doveadm(
        ["bounce", "stats", "-u", USER, "--by", "day", "--since", since])}
    want, undated = {}, 0
    for _, _, _, at in SENT.rows:
        if at is None:
            # ARF and auto-replies: dated when they arrived, just now
            undated += 1
        elif iso(at)[:10] >= since:
            want[iso(at)[:10]] = want.get(iso(at)[:10], 0) + 1
    for day, n in want.items():
        chk.true("day " + day, by_day.get(day, 0) >= n,
                 "%r < %d" % (by_day.get(day), n))
    chk.eq("days total", sum(by_day.values()), sum(want.values()) + undated)
    chk.true("nothing before --since", all(k >= since for k in by_day),
             repr(sorted(by_day)))

    mtas = d.doveadm(["bounce", "stats", "-u", USER, "--by", "remote-mta"])
    chk.eq("remote-mta", [m["remote-mta"] for m in mtas
                          if m["remote-mta"] == "mx.example.org"],
           ["mx.example.org"])
    chk.done()


def test_export(d):
    chk = Check("bounce export")
    want = suppressed(d)
    # CSV: RFC 4180 with a header row, every field as "suppressed" says
    text = export(d, "suppressed", "csv")
    chk.true("CRLF records", text.endswith("\r\n") and "\r\n" in text)
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    chk.eq("csv addresses", sorted(r["address"] for r in rows), sorted(want))
    for r in rows:
        for key, value in want.get(r["address"], {}).items():
            chk.eq("csv %s %s" % (r["address"], key), r.get(key), str(value))
    # JSON lines: the same, numbers as numbers
    for r in export_jsonl(d, "suppressed"):
        for key, value in want.get(r["address"], {}).items():
            chk.eq("jsonl %s %s" % (r["address"], key), r.get(key), value)
    # bounces: one line per row "list" has, same ids
    listed = d.bounce_list(USER)
    exported = export_jsonl(d, "bounces")
    chk.eq("bounce ids", [r["id"] for r in exported],
           [r["id"] for r in listed])
    for r, l in zip(exported, listed):
        for key, value in l.items():
            chk.eq("bounce %s %s" % (r["id"], key), r.get(key), value)

    # a cell a spreadsheet would run is neutralised
    send_hard(d, "formula@example.org", subject="=HYPERLINK(\"http://x\")")
    rows = list(csv.DictReader(io.StringIO(export(d, "bounces", "csv"),
                                           newline="")))
    subj = [r["original_subject"] for r in rows
            if r["recipient"] == "formula@example.org"]
    chk.eq("neutralised", subj, ["'=HYPERLINK(\"http://x\")"])
    # -f doesn't wrap it
    res = d.doveadm_run(["bounce", "export", "-u", USER, "--what",
                         "suppressed"], formatter="json")
    chk.eq("-f json ignored", res.stdout.decode(), export(d, "suppressed",
                                                           "csv"))
    # -A: a user column first
    res = d.doveadm_run(["bounce", "export", "-A", "--what", "suppressed",
                         "--format", "jsonl"])
    first = json.loads(res.stdout.decode().splitlines()[0])
    chk.eq("-A user column", list(first)[0:2], ["user", "address"])
    chk.eq("-A user", first["user"], USER)
    chk.done()


# --- keywords and content ---

def imap_search(c, keyword):
    typ, data = c.uid("SEARCH", "KEYWORD", keyword)
    imap_check(typ, data, "SEARCH")
    return sorted(int(u) for u in data[0].split())


def test_keywords(d):
    chk = Check("keywords over IMAP")
    rows = d.bounce_list(USER)
    by_cat = {}
    for r in rows:
        by_cat.setdefault(r["category"], set()).add(r["uid"])
    c = d.imap(USER)
    try:
        imap_check(*c.select("Bounces", readonly=True), "SELECT")
        for cat, kw in (("hard", "$BounceHard"), ("soft", "$BounceSoft"),
                        ("internal", "$BounceInternal"),
                        ("complaint", "$Complaint"),
                        ("autoreply", "$AutoReply")):
            chk.eq(kw, imap_search(c, kw), sorted(by_cat.get(cat, ())))
    finally:
        c.logout()
    # content byte-identical, keywords or not
    seen = 0
    c = d.imap(USER)
    try:
        mails = imap_fetch_all(c, "Bounces")
    finally:
        c.logout()
    for uid, mail in mails.items():
        body = strip_delivery_headers(mail)
        m = re.search(rb"^Message-ID: (<[^>]*>)", body, re.M | re.I)
        msgid = m.group(1).decode() if m else None
        if msgid in SENT.mails:
            seen += 1
            # the DSNs start with a Return-Path of their own
            chk.true("content of UID %d" % uid,
                     body == strip_delivery_headers(SENT.mails[msgid]))
    chk.eq("messages compared", seen, len(SENT.mails))
    chk.done()


# --- rescan ---

def snapshot(d):
    rows = sorted((r for r in export_jsonl(d, "bounces")),
                  key=lambda r: (r["message_id"], r["recipient"]))
    for r in rows:
        del r["id"], r["recorded_at"]
    return rows, export_jsonl(d, "addresses")


def db_path(d):
    return os.path.join(d.home(USER), "bounces.sqlite")


def rescan(d, *extra):
    out = d.doveadm(["bounce", "rescan", "-u", USER] + list(extra))
    return out[0]


def test_rescan(d):
    chk = Check("rescan")
    before_rows, before_state = snapshot(d)
    n = len(SENT.mails)
    # nothing to do: idempotent
    res = rescan(d)
    chk.eq("no-op recorded", res["recorded"], 0)
    chk.eq("no-op skipped", res["skipped"], n)
    # the database is gone: everything comes back as it was
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db_path(d) + suffix):
            os.unlink(db_path(d) + suffix)
    res = rescan(d)
    chk.eq("recorded", res["recorded"], n)
    chk.eq("failed", res["failed"], 0)
    rows, state = snapshot(d)
    chk.eq("rows", rows, before_rows)
    chk.eq("state", state, before_state)
    # reclassify: same classifier, same answer, keywords stay
    res = rescan(d, "--reclassify")
    chk.eq("reclassified", res["recorded"], n)
    rows, state = snapshot(d)
    chk.eq("rows after --reclassify", rows, before_rows)
    chk.eq("state after --reclassify", state, before_state)
    # a corrupt file is moved aside and rebuilt
    st = os.stat(db_path(d))
    for suffix in ("-wal", "-shm"):
        if os.path.exists(db_path(d) + suffix):
            os.unlink(db_path(d) + suffix)
    with open(db_path(d), "wb") as f:
        f.write(b"this is not a database\n" * 400)
    os.chown(db_path(d), st.st_uid, st.st_gid)
    res = d.doveadm_run(["bounce", "rescan", "-u", USER])
    chk.eq("corrupt rc", res.returncode, 0)
    chk.true("warned", b"moved it to" in res.stderr, res.stderr.decode())
    chk.eq("moved aside", len(glob.glob(db_path(d) + ".corrupt-*")), 1)
    rows, state = snapshot(d)
    chk.eq("rows after corrupt", rows, before_rows)
    chk.eq("state after corrupt", state, before_state)
    chk.done()


# --- maintenance ---

def test_unsuppress(d):
    chk = Check("unsuppress")
    out = d.doveadm(["bounce", "unsuppress", "-u", USER, "gone@example.org",
                     "nobody@example.org"])
    chk.eq("results", [(r["address"], r["result"]) for r in out],
           [("gone@example.org", "unsuppressed"),
            ("nobody@example.org", "not suppressed")])
    chk.true("not suppressed", "gone@example.org" not in suppressed(d))
    row = addresses(d).get("gone@example.org", {})
    chk.eq("state", row.get("state"), "active")
    for key in COUNT_KEYS:
        chk.eq("count " + key, row.get(key), 0)
    # the bounces stay on record
    chk.eq("rows kept", len(d.bounce_list(
        USER, extra=["--recipient", "gone@example.org"])), 1)
    chk.done()


def test_forget(d):
    chk = Check("forget")
    addr = "full@example.net"
    out = d.doveadm(["bounce", "forget", "-u", USER, addr])
    chk.eq("deleted", out[0]["deleted"],
           len([r for r in SENT.rows if r[0] == addr]) + 1)
    chk.eq("list", d.bounce_list(USER, extra=["--recipient", addr]), [])
    chk.true("no state", addr not in addresses(d))
    for what in ("bounces", "addresses"):
        chk.true("export " + what, addr not in export(d, what))
    for suffix in ("", "-wal"):
        path = db_path(d) + suffix
        if os.path.exists(path):
            with open(path, "rb") as f:
                chk.true("file" + suffix, addr.encode() not in f.read())
    chk.done()


def test_prune(d):
    chk = Check("prune")
    before = time.strftime("%Y-%m-%d", time.gmtime(NOW - 40 * DAY))
    cutoff = calendar.timegm(time.strptime(before, "%Y-%m-%d"))
    listed = d.doveadm(["bounce", "list", "-u", USER, "--until", before])
    chk.true("something to prune", len(listed) > 0)
    out = d.doveadm(["bounce", "prune", "-u", USER, "--before", before])
    chk.eq("deleted", out[0]["deleted"], len(listed))
    chk.eq("left before", d.doveadm(["bounce", "list", "-u", USER,
                                     "--until", before]), [])
    chk.eq("suppressions kept", sorted(suppressed(d)),
           ["annoyed@example.org", "formula@example.org"])
    row = addresses(d).get("slow@example.net", {})
    chk.eq("slow soft left", row.get("soft"), len(
        [r for r in SENT.rows if r[0] == "slow@example.net"
         and r[3] >= cutoff]))
    chk.done()


def test_formatters(d):
    chk = Check("formatters")
    for fmt in ("table", "tab", "flow", "json", "pager"):
        for args in (["suppressed", "--all"], ["stats", "--by", "reason"],
                     ["show", "1"], ["list", "--limit", "3"]):
            res = d.doveadm_run(["bounce"] + args + ["-u", USER],
                                formatter=fmt)
            chk.eq("%s %s rc" % (fmt, args[0]), res.returncode, 0)
            chk.true("%s %s output" % (fmt, args[0]), len(res.stdout) > 0)
    res = d.doveadm_run(["bounce", "stats", "-u", USER, "--by", "subject"])
    chk.true("bad --by refused", res.returncode != 0)
    chk.done()


def test_no_errors_logged(d):
    chk = Check("log")
    bad = [l for l in d.read_log().splitlines()
           if "Error:" in l or "Panic:" in l or "Fatal:" in l]
    chk.eq("unexpected errors", bad, [])
    chk.done()


def main():
    runner = Runner()
    t0 = time.time()
    with Dovecot(USERS, BOUNCE_CONF) as d:
        print("# private Dovecot in %s (lmtp %d)" % (d.root, d.lmtp_port))
        for name, func in [
                ("hard bounce suppresses at once", test_hard),
                ("5 soft in 30 days suppress, fewer or older don't",
                 test_soft),
                ("internal, autoreply and delayed never suppress",
                 test_never_suppress),
                ("complaint suppresses at once", test_complaint),
                ("suppressed: fields and counts", test_suppressed_list),
                ("stats by category, domain, day, remote-mta", test_stats),
                ("export csv/jsonl field by field", test_export),
                ("keywords over IMAP, content byte-identical",
                 test_keywords),
                ("rescan: deleted/corrupt db gives the same rows and state",
                 test_rescan),
                ("unsuppress resets", test_unsuppress),
                ("forget leaves nothing", test_forget),
                ("prune keeps suppressions", test_prune),
                ("every formatter", test_formatters),
                ("no unexpected errors logged", test_no_errors_logged)]:
            runner.run(name, func, d)
        if runner.failed:
            d.print_log_tail()
    print("# %.1fs" % (time.time() - t0))
    return runner.finish()


if __name__ == "__main__":
    sys.exit(main())
