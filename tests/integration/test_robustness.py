"""Issue #6, points 4-6: faults, concurrency and security, end to end.

A private Dovecot with the plugin built here; mail goes in over LMTP and
IMAP APPEND, rows come out through doveadm. Each fault has its own user:

- faults: the database unwritable (directory or file), locked by another
  process for longer than the busy timeout, corrupt, on a full disk
  (a small tmpfs, mounted only inside the private mount namespace that
  run.sh creates), deleted while Dovecot runs. Every time: the mail is
  delivered (LMTP 250 / APPEND OK) and readable over IMAP, the failure is
  logged exactly once per failed save and names the cause, and "doveadm
  bounce rescan" afterwards gives exactly the rows a clean user has for
  the same mails.
- concurrency: 8 LMTP sessions and 2 IMAP APPEND sessions deliver N DSNs
  to one user (N=BOUNCETEST_STRESS_N, default 1000; "make check-stress"
  runs 5000), then again with rescans running at the same time: exactly
  N messages, the right rows, none lost, none twice, no lock errors.
- security: no SQL built by formatting (a check over the source) and SQL
  in a DSN stored as text; the database files are 0600 and the user's;
  doveadm -u A never touches B's files (strace); message text is never
  expanded as a setting; CSV cells can't start a formula; control
  characters from a message never reach the log raw.

The lock test opens the user's database with Python's sqlite3 to hold a
lock; everything else reads results through doveadm.
"""

import csv
import glob
import io
import os
import re
import sqlite3
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bouncetest import (Check, Dovecot, Runner, User, crlf,  # noqa: E402
                        imap_append, imap_check, imap_fetch_all, make_dsn,
                        strip_delivery_headers)

HERE = os.path.dirname(os.path.abspath(__file__))
TOP_SRCDIR = os.environ.get("top_srcdir") or os.path.abspath(
    os.path.join(HERE, "..", ".."))
BOUNCE_CONF = os.path.join(TOP_SRCDIR, "conf.d", "90-bounce.conf")
DOMAIN = "example.com"
STRESS_N = int(os.environ.get("BOUNCETEST_STRESS_N", "1000"))
# run.sh's second stage: mounts here are private to this process tree
IN_NAMESPACE = os.environ.get("BOUNCETEST_IN_NAMESPACE") == "1"

REF = "ref"
# the faults of the database itself are tested twice: recording at once
# (bounce_spool_max_size = 0: the delivery meets the fault, logs it and
# rescan recovers) and through the spool (the default: the delivery
# never meets it, the rows wait in the spool for an import that works)
DIRECT = {"bounce_spool_max_size": "0"}
USERS = [
    User(REF, 5200),
    User("unwritable", 5201, extra=dict(DIRECT,
                                        bounce_db="~/db/bounces.sqlite")),
    User("locked", 5202, extra=dict(DIRECT,
                                    bounce_db_busy_timeout="200ms")),
    User("corrupt", 5203, extra=DIRECT),
    User("corrupt2", 5206, extra=DIRECT),
    User("spoolro", 5230),
    User("spoollocked", 5231, extra={"bounce_db_busy_timeout": "200ms"}),
    User("spoolcorrupt", 5232),
    User("diskfull", 5204, extra={"bounce_db": "~/fs/bounces.sqlite"}),
    User("deleted", 5205),
    User("stress", 5210),
    User("stress2", 5211),
    User("seca", 5220),
    # these two watch SQLite's own files and the record error path
    User("secb", 5221, extra=DIRECT),
    User("seclog", 5222, extra=DIRECT),
]
FAILED_RECORD = "Failed to record"
# what differs between two users' rows for the same mail
PER_MAILBOX_KEYS = ("id", "recorded_at", "uid", "mailbox_guid",
                    "message_guid")


# --- helpers ---

def db_path(d, user):
    set_db = {u.name: u.extra.get("bounce_db") for u in USERS}.get(user)
    rel = (set_db or "~/bounces.sqlite")[2:]
    return os.path.join(d.home(user), rel)


def export(d, user, what="bounces", fmt="jsonl"):
    res = d.doveadm_run(["bounce", "export", "-u", user, "--what", what,
                         "--format", fmt])
    if res.returncode != 0:
        raise RuntimeError("export -u %s: %s" % (user, res.stderr.decode()))
    return res.stdout.decode()


def rows(d, user):
    import json
    return [json.loads(l) for l in export(d, user).splitlines()]


def comparable(rows_, message_ids=None):
    """Rows without the fields that name a user's own mailbox, sorted;
    only those of the given bounce Message-IDs if given."""
    out = []
    for r in rows_:
        if message_ids is not None and r["message_id"] not in message_ids:
            continue
        r = {k: v for k, v in r.items() if k not in PER_MAILBOX_KEYS}
        out.append(r)
    return sorted(out, key=lambda r: (r["message_id"], r["recipient"]))


def rescan(d, user):
    res = d.doveadm_run(["bounce", "rescan", "-u", user], formatter="json")
    if res.returncode != 0:
        raise RuntimeError("rescan -u %s: rc=%d %s" % (
            user, res.returncode, res.stderr.decode()))
    import json
    return json.loads(res.stdout.decode())[0], res.stderr.decode()


def fault_dsn(user, i):
    """A DSN of its own per user and index; two recipients every third."""
    tag = "%s-%d" % (user, i)
    rcpts = [("gone-%s@example.org" % tag, "failed", "5.1.1",
              "550 5.1.1 <gone-%s@example.org>: Recipient address "
              "rejected: User unknown in virtual mailbox table" % tag,
              "mx.example.org")]
    if i % 3 == 0:
        rcpts.append(("full-%s@example.net" % tag, "failed", "5.2.2",
                      "552 5.2.2 Mailbox full", "mx.example.net"))
    return make_dsn(tag, rcpts)


def message_id_of(mail):
    m = re.search(r"^Message-ID: (<[^>]*>)", mail, re.M)
    return m.group(1)


def lmtp_ok(d, chk, user, mail, label):
    t0 = time.time()
    replies = d.lmtp_deliver(mail, ["%s+Bounces@%s" % (user, DOMAIN)])
    chk.eq("%s: LMTP reply" % label, replies[0][0], 250)
    return time.time() - t0


def append_ok(d, chk, user, mail, label):
    c = d.imap(user)
    try:
        uid = imap_append(c, "Bounces", crlf(mail))
        chk.true("%s: APPEND gave a UID" % label, uid > 0)
    finally:
        c.logout()


def check_readable(d, chk, user, mails):
    """Every mail sent is in Bounces over IMAP, byte for byte."""
    c = d.imap(user)
    try:
        got = imap_fetch_all(c, "Bounces")
    finally:
        c.logout()
    # our DSNs start with a Return-Path of their own, which the
    # delivery-header strip takes too: strip both sides alike
    bodies = sorted(strip_delivery_headers(m) for m in got.values())
    want = sorted(strip_delivery_headers(m) for m in mails)
    chk.eq("%s: messages over IMAP" % user, len(bodies), len(want))
    chk.true("%s: content over IMAP" % user, bodies == want)


def error_lines(d, offset):
    return [l for l in d.log_since(offset).splitlines()
            if "Error:" in l or "Panic:" in l or "Fatal:" in l]


def user_rx(user):
    """The user as the log names it: LMTP logs in as user@domain."""
    return re.escape(user) + r"(?:@[^)\s']*)?"


def check_logged_once(d, chk, offset, user, failed_saves, cause_rx):
    """One error per failed save, naming the cause; nothing else."""
    d.wait_log(offset, FAILED_RECORD, count=failed_saves, timeout=10)
    time.sleep(0.3)  # anything logged twice would show up by now
    errors = [l for l in d.log_since(offset).splitlines()
              if "Error:" in l or "Panic:" in l or "Fatal:" in l]
    chk.eq("%s: errors logged" % user, len(errors), failed_saves)
    for line in errors:
        chk.true("%s: error is the record failure" % user,
                 FAILED_RECORD in line and re.search(
                     r"\(user %s\)" % user_rx(user), line), line)
        chk.true("%s: error names the cause" % user,
                 re.search(cause_rx, line) is not None, line)
        chk.true("%s: error says how to recover" % user, re.search(
            r"doveadm bounce rescan -u %s'" % user_rx(user), line), line)


def overwrite_with_garbage(path):
    """Random bytes for the database (its owner kept), its WAL gone."""
    st = os.stat(path)
    for suffix in ("-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.unlink(path + suffix)
    with open(path, "wb") as f:
        f.write(os.urandom(64 * 1024))
    os.chown(path, st.st_uid, st.st_gid)


def hold_write_lock(path):
    """Root holds the database's write lock the way a stuck writer would
    (ROLLBACK and close the connection returned to let go)."""
    conn = sqlite3.connect(path, timeout=5, isolation_level=None)
    conn.execute("BEGIN EXCLUSIVE")
    return conn


def rows_or_none(d, user):
    """The rows, or [] while the database can't be read (corrupt)."""
    try:
        return rows(d, user)
    except RuntimeError:
        return []


def fault_case(d, user, inject, cure, cause_rx, before=2, during=3,
               expect_errors=True, append=None):
    """Deliver `before` mails, inject the fault, deliver `during` mails
    (LMTP and one APPEND), cure, rescan; compare with the reference user.
    append(chk, mail, label), if given, saves the last mail before the
    fault and the last one during it (default: a new IMAP session each).
    Returns the LMTP reply times during the fault."""
    append_before = append is not None
    if append is None:
        def append(chk, mail, label):
            append_ok(d, chk, user, mail, label)
    delays = []
    chk = Check(user)
    mails = [fault_dsn(user, i) for i in range(before + during)]
    ids = {message_id_of(m) for m in mails}
    for i, mail in enumerate(mails):
        lmtp_ok(d, chk, REF, mail, "ref %d" % i)
    want = comparable(rows(d, REF), ids)
    chk.eq("ref rows", len(want), sum(1 + (i % 3 == 0)
                                      for i in range(len(mails))))

    for i in range(before):
        if append_before and i == before - 1:
            append(chk, mails[i], "before APPEND")
        else:
            lmtp_ok(d, chk, user, mails[i], "before %d" % i)
    chk.eq("rows before the fault", len(rows(d, user)),
           len(comparable(rows(d, REF), {message_id_of(m)
                                        for m in mails[:before]})))
    offset = d.log_size()
    ctx = inject()
    try:
        for i in range(before, before + during - 1):
            delays.append(lmtp_ok(d, chk, user, mails[i], "during %d" % i))
        append(chk, mails[-1], "during APPEND")
        if expect_errors:
            check_logged_once(d, chk, offset, user, during, cause_rx)
        else:
            time.sleep(0.3)
            chk.eq("no errors", error_lines(d, offset), [])
    finally:
        cure(ctx)
    check_readable(d, chk, user, mails)
    have = comparable(rows_or_none(d, user))
    missing = [r for r in want if r not in have]
    if expect_errors:
        # the fault really cost rows, or the test proves nothing
        chk.true("rows were missing before rescan", len(missing) > 0)
    offset = d.log_size()
    res, stderr = rescan(d, user)
    chk.eq("rescan failed", res["failed"], 0)
    chk.eq("rescan messages", res["messages"], len(mails))
    got = comparable(rows(d, user))
    chk.eq("rows after rescan = a clean run's", got, want)
    chk.eq("rescan errors", error_lines(d, offset), [])
    # a database doveadm (re)created is the user's, never root's
    st = os.stat(db_path(d, user))
    chk.eq("db owner after rescan", st.st_uid, d.users[user].uid)
    chk.eq("db mode after rescan", oct(st.st_mode & 0o777), oct(0o600))
    # and the next delivery records normally again
    extra = fault_dsn(user, 100)
    lmtp_ok(d, chk, user, extra, "after")
    chk.eq("row after the cure", len(comparable(
        rows(d, user), {message_id_of(extra)})), 1)
    chk.done()
    return delays


# --- 4. faults ---

def test_fault_unwritable_dir(d):
    user = "unwritable"
    dbdir = os.path.dirname(db_path(d, user))
    os.makedirs(dbdir, mode=0o700, exist_ok=True)
    os.chown(dbdir, 5201, 5201)

    def inject():
        # the database and its -wal/-shm can't be created: a fresh
        # database in a directory the user can't write
        for f in glob.glob(db_path(d, user) + "*"):
            os.unlink(f)
        os.chmod(dbdir, 0o500)

    def cure(_):
        os.chmod(dbdir, 0o700)
    fault_case(d, user, inject, cure,
               r"Permission denied|unable to open database file")


def test_fault_readonly_file(d):
    user = "unwritable"
    path = db_path(d, user)

    def inject():
        os.chmod(path, 0o400)

    def cure(_):
        os.chmod(path, 0o600)
    # another set of mails for the same user: fault_dsn indices differ
    chk = Check("read-only file")
    mails = [fault_dsn(user + "-ro", i) for i in range(3)]
    ids = {message_id_of(m) for m in mails}
    for m in mails:
        lmtp_ok(d, chk, REF, m, "ref")
    want = comparable(rows(d, REF), ids)
    offset = d.log_size()
    inject()
    try:
        for i, m in enumerate(mails):
            lmtp_ok(d, chk, user, m, "during %d" % i)
        check_logged_once(d, chk, offset, user, len(mails),
                          r"Permission denied|readonly|read-only")
    finally:
        cure(None)
    chk.eq("rows missing", comparable(rows(d, user), ids), [])
    res, _ = rescan(d, user)
    chk.eq("rescan recorded", res["recorded"], len(mails))
    chk.eq("rows after rescan", comparable(rows(d, user), ids), want)
    chk.done()


def test_fault_locked(d):
    user = "locked"
    holder = {}

    def inject():
        conn = hold_write_lock(db_path(d, user))
        holder["conn"] = conn
        holder["t0"] = time.time()
        return conn

    def cure(conn):
        conn.execute("ROLLBACK")
        conn.close()
        holder["held"] = time.time() - holder["t0"]

    delays = fault_case(d, user, inject, cure, r"database is locked")
    chk = Check("locked timing")
    # the reply waited for the busy timeout (200ms), not the default 3s
    for t in delays:
        chk.true("LMTP waited about the busy timeout", 0.19 <= t < 2.5,
                 "%.3fs" % t)
    chk.true("lock held longer than the busy timeout",
             holder.get("held", 0) > 0.2)
    # root's connection must not leave root-owned -wal/-shm behind
    for suffix in ("-wal", "-shm"):
        p = db_path(d, user) + suffix
        if os.path.exists(p):
            chk.eq("owner of " + suffix, os.stat(p).st_uid, 5202)
    chk.done()


def test_fault_corrupt(d):
    user = "corrupt"
    path = db_path(d, user)

    def inject():
        overwrite_with_garbage(path)

    def cure(_):
        pass  # rescan moves the damaged file aside
    fault_case(d, user, inject, cure,
               r"file is not a database|database disk image is malformed")
    chk = Check("corrupt aside")
    # the database, with its -wal and -shm if a process had made them
    chk.eq("moved aside", len([f for f in glob.glob(path + ".corrupt-*")
                               if re.search(r"\.corrupt-\d+$", f)]), 1)
    chk.done()


def test_fault_corrupt_pages(d):
    """The header is fine, the pages behind it are garbage: the file
    opens, and the damage shows only when a table is read."""
    user = "corrupt2"
    path = db_path(d, user)

    def inject():
        for suffix in ("-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.unlink(path + suffix)
        size = os.path.getsize(path)
        with open(path, "r+b") as f:
            # page 1 keeps its 100-byte header; the schema on page 1
            # and every page after it are overwritten
            f.seek(100)
            f.write(os.urandom(size - 100))

    def cure(_):
        pass
    fault_case(d, user, inject, cure,
               r"malformed|file is not a database|corrupt")
    chk = Check("corrupt pages aside")
    # the database, with its -wal and -shm if a process had made them
    chk.eq("moved aside", len([f for f in glob.glob(path + ".corrupt-*")
                               if re.search(r"\.corrupt-\d+$", f)]), 1)
    chk.done()


def imap_login_logout(d, user):
    c = d.imap(user)
    try:
        imap_check(*c.select("Bounces", readonly=True), what="SELECT")
    finally:
        c.logout()


def spool_fault_case(d, user, inject, cure, cause_rx):
    """The database fails while deliveries spool: they answer 250 and log
    nothing; the first IMAP session to end tries to import and logs why
    it can't, once (later sessions leave the retry to doveadm); doveadm
    says why it can't import; and once the fault is cured the next
    doveadm command imports every row, no rescan needed."""
    chk = Check(user)
    mails = [fault_dsn(user, i) for i in range(5)]
    ids = {message_id_of(m) for m in mails}
    for m in mails:
        lmtp_ok(d, chk, REF, m, "ref")
    want = comparable(rows(d, REF), ids)
    # the database exists and is in use before the fault
    lmtp_ok(d, chk, user, mails[0], "before")
    chk.eq("row before the fault", len(comparable(
        rows(d, user), {message_id_of(mails[0])})), len(comparable(
            rows(d, REF), {message_id_of(mails[0])})))
    offset = d.log_size()
    ctx = inject()
    try:
        for i, m in enumerate(mails[1:3]):
            lmtp_ok(d, chk, user, m, "during %d" % i)
        time.sleep(0.3)
        chk.eq("nothing logged by the deliveries", error_lines(d, offset), [])
        append_ok(d, chk, user, mails[3], "during APPEND")
        lmtp_ok(d, chk, user, mails[4], "after the APPEND")
        imap_login_logout(d, user)
        d.wait_log(offset, "Failed to import", timeout=5)
        time.sleep(0.3)
        errors = error_lines(d, offset)
        chk.eq("one error: the first session's import", len(errors), 1)
        for line in errors:
            chk.true("the error is the import's", re.search(
                r"imap\(%s\).*Failed to import the bounce spool .*"
                r"rows are kept" % user_rx(user), line), line)
            chk.true("the error names the cause",
                     re.search(cause_rx, line) is not None, line)
        res = d.doveadm_run(["bounce", "export", "-u", user])
        chk.true("doveadm fails while the database does",
                 res.returncode != 0, res.returncode)
        chk.true("doveadm names the cause", re.search(
            cause_rx, res.stderr.decode()) is not None, res.stderr.decode())
        chk.true("the rows wait in the spool",
                 glob.glob(db_path(d, user) + "-spool*") != [])
    finally:
        cure(ctx)
    check_readable(d, chk, user, mails)
    chk.eq("rows after the cure = a clean run's",
           comparable(rows(d, user)), want)
    chk.eq("spool imported and gone",
           glob.glob(db_path(d, user) + "-spool*"), [])
    chk.done()


def test_spool_fault_readonly(d):
    user = "spoolro"
    path = db_path(d, user)

    def inject():
        os.chmod(path, 0o400)

    def cure(_):
        os.chmod(path, 0o600)
    spool_fault_case(d, user, inject, cure,
                     r"Permission denied|readonly|read-only")


def test_spool_fault_locked(d):
    user = "spoollocked"

    def inject():
        return hold_write_lock(db_path(d, user))

    def cure(conn):
        conn.execute("ROLLBACK")
        conn.close()
    spool_fault_case(d, user, inject, cure, r"database is locked")


def test_spool_fault_corrupt(d):
    user = "spoolcorrupt"
    path = db_path(d, user)

    def inject():
        overwrite_with_garbage(path)

    def cure(_):
        # rescan moves the damaged file aside, then imports the spool
        res, _ = rescan(d, user)
        if res["failed"] != 0:
            raise RuntimeError("rescan failed: %r" % res)
    spool_fault_case(d, user, inject, cure,
                     r"file is not a database|malformed")


def test_fault_disk_full(d):
    if not IN_NAMESPACE:
        print("# SKIP disk full: needs run.sh's private mount namespace")
        return
    user = "diskfull"
    fsdir = os.path.dirname(db_path(d, user))
    os.makedirs(fsdir, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o",
                    "size=1m,mode=0700,uid=5204,gid=5204", "bouncetest-full",
                    fsdir], check=True)
    filler = os.path.join(fsdir, "filler")

    def inject():
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            while True:
                os.write(fd, b"\0" * 4096)
        except OSError:
            pass
        os.close(fd)

    def cure(_):
        os.unlink(filler)
    try:
        fault_case(d, user, inject, cure,
                   r"disk is full|No space left on device")
    finally:
        subprocess.run(["umount", fsdir])


def test_fault_deleted(d):
    user = "deleted"
    path = db_path(d, user)
    c = d.imap(user)

    def inject():
        # the IMAP session that saved the last mail before stays open
        # across the deletion: a process that kept the old file open
        # would write into the deleted inode
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.unlink(path + suffix)

    def cure(_):
        pass
    def append_same_session(chk, mail, label):
        chk.true(label, imap_append(c, "Bounces", crlf(mail)) > 0)
    try:
        # the deliveries after the deletion recreate the database: no
        # errors, and the rescan only fills the gap
        fault_case(d, user, inject, cure, None, expect_errors=False,
                   append=append_same_session)
    finally:
        c.logout()
    chk = Check("deleted")
    chk.true("recreated", os.path.exists(path))
    chk.done()


# --- 5. concurrency ---

def stress_dsn(user, i):
    tag = "%s-%d" % (user, i)
    rcpts = [("u%d@example.org" % i, "failed", "5.1.1",
              "550 5.1.1 user unknown", "mx.example.org")]
    if i % 4 == 0:
        rcpts.append(("v%d@example.net" % i, "failed", "4.2.2",
                      "452 4.2.2 mailbox full", "mx.example.net"))
    return make_dsn(tag, rcpts)


def stress_rows(n):
    return n + len(range(0, n, 4))


class ModeWatcher(threading.Thread):
    """Polls the database's -wal/-shm files while writers run: each seen
    (suffix, mode, uid)."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.path = path
        self.seen = set()
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            for suffix in ("", "-wal", "-shm"):
                try:
                    st = os.stat(self.path + suffix)
                except OSError:
                    continue
                self.seen.add((suffix, st.st_mode & 0o7777, st.st_uid))
            time.sleep(0.002)


def deliver_parallel(d, user, n, lmtp_clients=8, imap_clients=2):
    """Mail i goes through client i % (lmtp+imap): LMTP sessions first,
    then IMAP APPEND sessions, each one connection for all its mail."""
    clients = lmtp_clients + imap_clients
    failures = []

    def lmtp_worker(k):
        try:
            with d.lmtp_session() as conn:
                for i in range(k, n, clients):
                    r = d.lmtp_send(conn, stress_dsn(user, i),
                                    ["%s+Bounces@%s" % (user, DOMAIN)])
                    if r[0][0] != 250:
                        failures.append((i, r))
        except Exception as e:
            failures.append((k, repr(e)))

    def imap_worker(k):
        try:
            c = d.imap(user)
            try:
                for i in range(k, n, clients):
                    typ, data = c.append("Bounces", None, None,
                                         crlf(stress_dsn(user, i)))
                    if typ != "OK":
                        failures.append((i, data))
            finally:
                c.logout()
        except Exception as e:
            failures.append((k, repr(e)))
    threads = [threading.Thread(target=lmtp_worker, args=(k,))
               for k in range(lmtp_clients)]
    threads += [threading.Thread(target=imap_worker, args=(k,))
                for k in range(lmtp_clients, clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return failures


def stress_case(d, user, n, with_rescan):
    chk = Check("%s n=%d" % (user, n))
    offset = d.log_size()
    done = threading.Event()
    rescans = []

    def rescanner():
        while not done.is_set():
            res = d.doveadm_run(["bounce", "rescan", "-u", user],
                                formatter="json")
            rescans.append((res.returncode, res.stderr.decode()))
    watcher = ModeWatcher(db_path(d, user))
    watcher.start()
    bg = threading.Thread(target=rescanner) if with_rescan else None
    if bg:
        bg.start()
    t0 = time.time()
    failures = deliver_parallel(d, user, n)
    elapsed = time.time() - t0
    done.set()
    if bg:
        bg.join()
    watcher.stop.set()
    watcher.join()
    print("# %s: %d DSNs by 8 LMTP + 2 IMAP clients%s in %.1fs "
          "(%.0f/s)%s" % (user, n, " with rescans" if with_rescan else "",
                          elapsed, n / elapsed,
                          ", %d rescans" % len(rescans) if bg else ""))
    chk.eq("delivery failures", failures[:5], [])
    c = d.imap(user)
    try:
        typ, data = c.status("Bounces", "(MESSAGES)")
        imap_check(typ, data, "STATUS")
        count = int(re.search(rb"MESSAGES (\d+)", data[0]).group(1))
    finally:
        c.logout()
    chk.eq("messages", count, n)
    got = rows(d, user)
    keys = [(r["message_id"], r["recipient"]) for r in got]
    chk.eq("rows", len(got), stress_rows(n))
    chk.eq("duplicate rows", len(keys) - len(set(keys)), 0)
    want = set()
    for i in range(n):
        mid = "<dsn-%s-%d@mx.example.net>" % (user, i)
        want.add((mid, "u%d@example.org" % i))
        if i % 4 == 0:
            want.add((mid, "v%d@example.net" % i))
    chk.eq("lost rows", len(want - set(keys)), 0)
    chk.eq("unexpected rows", len(set(keys) - want), 0)
    # every message has its rows, uids included
    uids = {r["uid"] for r in got}
    chk.eq("distinct UIDs with rows", len(uids), n)
    chk.true("no UID 0", 0 not in uids)
    log = d.log_since(offset)
    chk.eq("'database is locked' in the log",
           log.count("database is locked"), 0)
    chk.eq("errors in the log", error_lines(d, offset)[:5], [])
    for rc, err in rescans:
        chk.eq("concurrent rescan rc", rc, 0)
        chk.true("concurrent rescan without errors", "rror" not in err, err)
    if with_rescan:
        chk.true("rescans ran", len(rescans) > 0)
    # nothing left for a rescan to find
    res, _ = rescan(d, user)
    chk.eq("final rescan recorded", res["recorded"], 0)
    chk.eq("final rescan skipped", res["skipped"], n)
    for suffix, mode, uid in sorted(watcher.seen):
        chk.eq("mode of db%s" % suffix, oct(mode), oct(0o600))
        chk.eq("owner of db%s" % suffix, uid, 5210 if user == "stress"
               else 5211)
    chk.done()
    return watcher.seen


def test_stress(d):
    stress_case(d, "stress", STRESS_N, with_rescan=False)


def test_stress_rescan(d):
    stress_case(d, "stress2", STRESS_N, with_rescan=True)


# --- 6. security ---

PRINTF_CALL = re.compile(
    r"\b(t_strdup_printf|p_strdup_printf|i_strdup_printf|str_printfa|"
    r"t_strdup_vprintf|str_vprintfa|sqlite3_mprintf|sqlite3_snprintf|"
    r"sqlite3_vmprintf|snprintf|i_snprintf)\s*\(")
SQL_WORDS = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|REPLACE|PRAGMA|"
                       r"CREATE|DROP|ALTER|WHERE|VALUES|FROM|ORDER BY|"
                       r"LIMIT)\b")
# a conversion that can put text into the string: only numbers may go in
TEXT_CONVERSION = re.compile(r"%[-+ #0]*[0-9*]*(?:\.[0-9*]+)?"
                             r"(?:hh|h|ll|l|z|j|t|L)?([sScqQwz])")


def c_calls(source):
    """(line number, the call's text up to its closing parenthesis) for
    each printf-like call."""
    for m in PRINTF_CALL.finditer(source):
        depth, i = 0, m.end() - 1
        while i < len(source):
            ch = source[i]
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
                if depth == 0:
                    break
            elif ch == '"':
                i += 1
                while source[i] != '"':
                    i += 2 if source[i] == "\\" else 1
            i += 1
        yield source.count("\n", 0, m.start()) + 1, source[m.start():i + 1]


def test_sql_parameterised_source(d):
    chk = Check("parameterised SQL")
    files = sorted(glob.glob(os.path.join(TOP_SRCDIR, "src", "lib-bounce",
                                          "bounce-store*.c")))
    chk.true("store sources found", len(files) > 0)
    prepared = 0
    for path in files:
        with open(path) as f:
            source = f.read()
        for line, call in c_calls(source):
            literal = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', call))
            if not SQL_WORDS.search(literal):
                continue
            bad = TEXT_CONVERSION.findall(literal)
            chk.true("%s:%d formats text into SQL" % (
                os.path.basename(path), line), not bad, call[:200])
        # values reach SQLite only through sqlite3_bind_*
        prepared += len(re.findall(r"sqlite3_bind_\w+\s*\(", source))
        chk.true("no sqlite3_*printf", "sqlite3_mprintf" not in source
                 and "sqlite3_snprintf" not in source)
    chk.true("binds values", prepared > 10, str(prepared))
    chk.done()


# quoted, as an address with spaces in its local part has to be (an
# unquoted one is cut at the space like any sloppy address in text)
INJECT_RCPT = "\"x'); DROP TABLE bounces;--\"@example.org"


def test_sql_injection_stored_verbatim(d):
    chk = Check("SQL text in a DSN")
    user = "seca"
    lmtp_ok(d, chk, user, make_dsn("seca-plain", [
        ("plain@example.org", "failed", "5.1.1", "550 5.1.1 unknown",
         "mx.example.org")]), "plain")
    diag = "550 5.1.1 Robert'); DROP TABLE addresses;-- unknown"
    subject = "'; DELETE FROM bounces; --"
    lmtp_ok(d, chk, user, make_dsn("seca-sql", [
        (INJECT_RCPT, "failed", "5.1.1", diag, "mx.example.org")],
        subject=subject), "sql")
    got = {r["message_id"]: r for r in rows(d, user)}
    r = got.get("<dsn-seca-sql@mx.example.net>", {})
    chk.eq("recipient", r.get("recipient"), INJECT_RCPT.lower())
    chk.eq("diagnostic", r.get("diagnostic"), diag)
    chk.eq("subject", r.get("original_subject"), subject)
    chk.true("earlier row survives", "<dsn-seca-plain@mx.example.net>" in got)
    addrs = export(d, user, what="addresses")
    chk.true("addresses table survives", "plain@example.org" in addrs)
    listed = d.bounce_list(user, extra=["--recipient", INJECT_RCPT])
    chk.eq("found by --recipient as text", len(listed), 1)
    chk.done()


def test_db_files_mode(d):
    chk = Check("db file modes")
    user = "secb"
    watcher = ModeWatcher(db_path(d, user))
    watcher.start()
    failures = []

    def worker(k):
        try:
            with d.lmtp_session() as conn:
                for i in range(k, 60, 4):
                    r = d.lmtp_send(conn, stress_dsn(user, i),
                                    ["%s+Bounces@%s" % (user, DOMAIN)])
                    if r[0][0] != 250:
                        failures.append(r)
        except Exception as e:
            failures.append(repr(e))
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    watcher.stop.set()
    watcher.join()
    chk.eq("failures", failures, [])
    suffixes = {s for s, _, _ in watcher.seen}
    # a writer was caught with its WAL open at least once
    chk.true("saw the db, -wal and -shm", suffixes == {"", "-wal", "-shm"},
             repr(sorted(watcher.seen)))
    for suffix, mode, uid in sorted(watcher.seen):
        chk.eq("mode of db%s" % suffix, oct(mode), oct(0o600))
        chk.eq("owner of db%s" % suffix, uid, 5221)
    st = os.stat(db_path(d, user))
    chk.eq("final mode", oct(st.st_mode & 0o777), oct(0o600))
    chk.eq("final owner", (st.st_uid, st.st_gid), (5221, 5221))
    # the spool a delivery creates (default settings) likewise
    lmtp_ok(d, chk, "seca", stress_dsn("seca", 0), "spool")
    st = os.stat(db_path(d, "seca") + "-spool")
    chk.eq("spool mode", oct(st.st_mode & 0o777), oct(0o600))
    chk.eq("spool owner", (st.st_uid, st.st_gid), (5220, 5220))
    chk.done()


def test_doveadm_user_isolation(d):
    chk = Check("doveadm -u A never opens B's database")
    a, b = "seca", "secb"
    for u in (a, b):
        lmtp_ok(d, chk, u, make_dsn("iso-" + u, [
            ("iso-%s@example.org" % u, "failed", "5.1.1",
             "550 5.1.1 unknown", "mx.example.org")]), "iso " + u)
        chk.true("%s has a database or a spool" % u,
                 os.path.exists(db_path(d, u)) or
                 os.path.exists(db_path(d, u) + "-spool"))
    trace = os.path.join(d.root, "strace.out")
    for args in (["list"], ["stats", "--by", "reason"], ["suppressed",
                 "--all"], ["export", "--what", "bounces"], ["show", "1"],
                 ["rescan"], ["unsuppress", "nobody@example.org"],
                 ["forget", "nobody@example.org"],
                 ["prune", "--before", "2000-01-01"]):
        cmd = ["strace", "-f", "-qq", "-o", trace, "-e",
               "trace=open,openat,openat2,stat,lstat,newfstatat,statx,"
               "access,faccessat,faccessat2,unlink,unlinkat,rename,"
               "renameat,renameat2,chdir",
               "/usr/bin/doveadm", "-c", d.conf, "bounce"] + \
            args[:1] + ["-u", a] + args[1:]
        res = subprocess.run(cmd, capture_output=True, timeout=120)
        chk.eq("%s rc" % args[0], res.returncode, 0)
        with open(trace) as f:
            text = f.read()
        chk.true("%s opens A's database" % args[0],
                 db_path(d, a) in text)
        touched = sorted({l.strip()[:200] for l in text.splitlines()
                          if d.home(b) in l})
        chk.eq("%s touches B's home" % args[0], touched, [])
        # nor any other user's: every home path named is A's
        homes = set(re.findall(re.escape(os.path.join(d.root, "home")) +
                               r"/([^/\"]+)", text))
        chk.eq("%s: homes touched" % args[0], homes, {a})
    chk.done()


def walk_names(root):
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            yield os.path.join(dirpath, name)


def test_no_expansion_from_content(d):
    chk = Check("message text is never a setting")
    user = "seca"
    before = set(walk_names(d.root)) | set(walk_names(os.getcwd()))
    rcpt1 = "%u@example.org"
    rcpt2 = "%{home}-%n@example.org"
    diag = "550 5.1.1 <%u@example.org> ~/evil %{home}/x %d %% unknown"
    subject = "~/ %{home} %u %{user} $HOME"
    lmtp_ok(d, chk, user, make_dsn("seca-pct", [
        (rcpt1, "failed", "5.1.1", diag, "mx.example.org"),
        (rcpt2, "failed", "5.1.1", diag, "mx.example.org")],
        subject=subject, return_path="~/%u@example.com"), "percent")
    got = [r for r in rows(d, user)
           if r["message_id"] == "<dsn-seca-pct@mx.example.net>"]
    chk.eq("recipients", sorted(r["recipient"] for r in got),
           sorted([rcpt1, rcpt2]))
    for r in got:
        chk.eq("diagnostic", r["diagnostic"], diag)
        chk.eq("subject", r["original_subject"], subject)
    after = set(walk_names(d.root)) | set(walk_names(os.getcwd()))
    new = sorted(p for p in after - before
                 if re.search(r"[%~$]|evil|seca/x", os.path.basename(p)))
    chk.eq("files created from message text", new, [])
    chk.true("no ~ directory in cwd", not os.path.exists("~"))
    chk.done()


def test_csv_formula_injection(d):
    chk = Check("CSV formula injection")
    user = "seca"
    diag = "=cmd|' /C calc'!A0 550 5.1.1 unknown"
    lmtp_ok(d, chk, user, make_dsn("seca-csv", [
        ("+1@example.org", "failed", "5.1.1", diag, "mx.example.org"),
        ("-2@example.org", "failed", "5.1.1", "@SUM(1+1) 550 unknown",
         "mx.example.org")], subject="=HYPERLINK(\"http://x\")"),
        "formula")
    text = export(d, user, fmt="csv")
    table = list(csv.reader(io.StringIO(text)))
    head = table[0]
    found = 0
    for row in table[1:]:
        cell = dict(zip(head, row))
        if cell.get("message_id") != "<dsn-seca-csv@mx.example.net>":
            continue
        found += 1
        chk.true("recipient cell prefixed", cell["recipient"] in
                 ("'+1@example.org", "'-2@example.org"), cell["recipient"])
        chk.true("diagnostic cell prefixed",
                 cell["diagnostic"].startswith("'=")
                 or cell["diagnostic"].startswith("'@"),
                 cell["diagnostic"])
        chk.eq("subject cell prefixed", cell["original_subject"],
               "'=HYPERLINK(\"http://x\")")
    chk.eq("rows", found, 2)
    # no cell of the whole export can start a formula
    for row in table:
        for value in row:
            chk.true("cell starts no formula", value[:1] not in
                     ("=", "+", "-", "@", "\t", "\r"), value[:60])
    # jsonl stays verbatim
    j = [r for r in rows(d, user)
         if r["message_id"] == "<dsn-seca-csv@mx.example.net>"]
    chk.true("jsonl verbatim", any(r["diagnostic"] == diag for r in j))
    chk.done()


def test_log_escapes_control_chars(d):
    chk = Check("control characters never reach the log raw")
    user = "seclog"
    offset = d.log_size()
    # decoded, this Subject has CR LF and a fake log line; the
    # recipient and diagnostic carry ESC and the fake line raw
    subject = "=?utf-8?q?hi=0D=0AError:_injected_by_subject=1B[31m?="
    mail = make_dsn("seclog-ctl", [
        # ('[' would end the address, so a bare ESC)
        ("evil\x1bkrcpt@example.org", "failed", "5.1.1",
         "550 5.1.1 unknown\x1b[31m =?utf-8?q?x=0D=0AError:_injected_by_diag?=",
         "mx.example.org")], subject=subject)
    # also once while the database is unwritable: the error path logs too
    lmtp_ok(d, chk, user, mail, "debug")
    path = db_path(d, user)
    os.chmod(path, 0o400)
    try:
        lmtp_ok(d, chk, user, mail.replace("seclog-ctl", "seclog-ctl2"),
                "error path")
        d.wait_log(offset, FAILED_RECORD, timeout=10)
    finally:
        os.chmod(path, 0o600)
    time.sleep(0.3)
    raw = open(d.log_path, "rb").read()[offset:]
    chk.true("no raw ESC in the log", b"\x1b" not in raw)
    chk.true("no raw CR in the log", b"\r" not in raw)
    for line in raw.decode("utf-8", "replace").splitlines():
        chk.true("no injected line", not re.match(
            r"\s*Error: injected|injected_by", line) and
            "Error: injected" not in line.split("bounce:")[0], line)
    debug = [l for l in raw.decode("utf-8", "replace").splitlines()
             if "recipient=" in l]
    chk.true("the plugin logged the recipient (debug)", len(debug) > 0)
    for l in debug:
        chk.true("recipient escaped", "evil?krcpt" in l or
                 "evil\\x1b" in l or "evil\\033" in l, l)
    chk.done()


def test_no_unexpected_errors(d, since):
    chk = Check("log")
    bad = [l for l in d.log_since(since).splitlines()
           if "Panic:" in l or "Fatal:" in l or "killed" in l]
    chk.eq("panics, fatals, killed processes", bad, [])
    chk.done()


def main():
    runner = Runner()
    t0 = time.time()
    only = os.environ.get("BOUNCETEST_ONLY")
    # the plugin's debug lines (they name recipients) for one user
    with Dovecot(USERS, BOUNCE_CONF, extra_conf=(
            "log_debug = category=bounce AND user=seclog*\n")) as d:
        print("# private Dovecot in %s (lmtp %d), stress N=%d" % (
            d.root, d.lmtp_port, STRESS_N))
        for name, func in [
                ("fault: db directory unwritable", test_fault_unwritable_dir),
                ("fault: db file read-only", test_fault_readonly_file),
                ("fault: db locked longer than the busy timeout",
                 test_fault_locked),
                ("fault: db corrupt (random bytes)", test_fault_corrupt),
                ("fault: db pages corrupt, header intact",
                 test_fault_corrupt_pages),
                ("spool: db read-only", test_spool_fault_readonly),
                ("spool: db locked", test_spool_fault_locked),
                ("spool: db corrupt", test_spool_fault_corrupt),
                ("fault: disk full (tmpfs)", test_fault_disk_full),
                ("fault: db deleted while Dovecot runs", test_fault_deleted),
                ("concurrency: 8 LMTP + 2 IMAP, one user", test_stress),
                ("concurrency: the same with rescans running",
                 test_stress_rescan),
                ("security: no SQL formatted from input (source)",
                 test_sql_parameterised_source),
                ("security: SQL in a DSN is stored as text",
                 test_sql_injection_stored_verbatim),
                ("security: db, -wal, -shm are 0600 and the user's",
                 test_db_files_mode),
                ("security: doveadm -u A never touches B's files",
                 test_doveadm_user_isolation),
                ("security: message text is never expanded",
                 test_no_expansion_from_content),
                ("security: CSV export neutralises formulas",
                 test_csv_formula_injection),
                ("security: control characters escaped in the log",
                 test_log_escapes_control_chars)]:
            if only and not re.search(only, name):
                continue
            runner.run(name, func, d)
        runner.run("no panics or killed processes", test_no_unexpected_errors,
                   d, 0)
        if runner.failed:
            d.print_log_tail()
    print("# %.1fs" % (time.time() - t0))
    return runner.finish()


if __name__ == "__main__":
    sys.exit(main())
