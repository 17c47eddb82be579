#!/usr/bin/env python3
"""Benchmarks that need a running Dovecot: delivery overhead over LMTP,
peak RSS of an LMTP process on a big bounce, and `doveadm bounce classify`
throughput. Each starts a private, disposable Dovecot instance (own
base_dir, free loopback ports, stopped by its master pid) inside a mount
namespace where a bind mount puts the staged modules (the system's plus
the ones built here, see bench/run.sh) over /usr/lib/dovecot/modules, so
nothing is installed into the system.

Every figure with the plugin is paired with the same figure measured in
the same run on the same configuration without it (mail_plugins empty:
no bounce and no notify, which the bounce plugin pulls in), and the
ratio is what to read; absolute numbers depend on the machine's load.

    bench-dovecot.py --modules DIR delivery [-n 5000] [-c 4] [--rounds 2] [--batch 250]
    bench-dovecot.py --modules DIR memory [--size-mb 50]
    bench-dovecot.py --modules DIR classify [--repeat 20] FILE...
    bench-dovecot.py --modules DIR queries [--runs 3] DB

The last line of each is a machine-readable RESULT line for bench/run.sh.
"""

import argparse
import os
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

MAIL_UID = 5000
# maildir is what most bounce servers run; sdbox shows the plugin's own
# cost without maildir's (see docs/performance.md, "Delivery overhead")
STORAGES = {"maildir": "maildir:~/Maildir", "sdbox": "sdbox:~/sdbox"}
SYSTEM_MODULES = "/usr/lib/dovecot/modules"
# where the instances live (--tmpdir); set by main()
INSTANCE_DIR = None

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
instance_name = bench-{name}
log_path = {root}/log/dovecot.log
protocols = lmtp
listen = 127.0.0.1
ssl = no
auth_mechanisms = plain
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%n {root}/etc/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%n {root}/etc/passwd
}}
first_valid_uid = {uid}
mail_home = {root}/home/%n
mail_location = {mail_location}
mail_fsync = {mail_fsync}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Bounces {{
    auto = create
  }}
}}
mail_plugins = {mail_plugins}
plugin {{
  bounce_mailbox = Bounces
  bounce_db = {bounce_db}
}}
lmtp_save_to_detail_mailbox = yes
recipient_delimiter = +
postmaster_address = postmaster@example.com
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp_port}
  }}
{lmtp_service}
}}
service imap-login {{
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = 0
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
service submission-login {{
  inet_listener submission {{
    port = 0
  }}
}}
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def in_namespace(modules, argv):
    """argv run in a private mount namespace that sees the staged modules."""
    script = 'mount --bind "$0" {} && exec "$@"'.format(SYSTEM_MODULES)
    return ["unshare", "-m", "sh", "-c", script, modules] + argv


class Instance:
    def __init__(self, modules, name, plugin, lmtp_service="", fsync="never",
                 storage="maildir", bounce_db="~/bounces.sqlite",
                 extra_conf=""):
        self.modules = modules
        self.plugin = plugin
        self.root = tempfile.mkdtemp(prefix="bench-dovecot-", dir=INSTANCE_DIR)
        self.port = free_port()
        self.conf = os.path.join(self.root, "etc", "dovecot.conf")
        for sub in ("run", "state", "log", "etc", "home"):
            os.makedirs(os.path.join(self.root, sub))
        os.chmod(self.root, 0o755)
        os.chown(os.path.join(self.root, "home"), MAIL_UID, MAIL_UID)
        with open(os.path.join(self.root, "etc", "passwd"), "w") as f:
            f.write("bench:{PLAIN}bench:%d:%d::%s/home/bench::\n" %
                    (MAIL_UID, MAIL_UID, self.root))
        with open(self.conf, "w") as f:
            f.write(CONFIG.format(
                root=self.root, name=name, uid=MAIL_UID,
                lmtp_port=self.port, lmtp_service=lmtp_service,
                mail_fsync=fsync, bounce_db=bounce_db,
                mail_location=STORAGES[storage],
                mail_plugins="$mail_plugins notify bounce" if plugin else "")
                + extra_conf)

    def start(self):
        subprocess.run(in_namespace(self.modules, ["dovecot", "-c", self.conf]),
                       check=True)
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), 1) as s:
                    if s.recv(512).startswith(b"220"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("dovecot did not start: see " + self.log())
            time.sleep(0.05)
        with open(os.path.join(self.root, "run", "master.pid")) as f:
            self.master_pid = int(f.read())

    def log(self):
        return os.path.join(self.root, "log", "dovecot.log")

    def lmtp_pids(self):
        pids = []
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % pid) as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                with open("/proc/%s/cmdline" % pid, "rb") as f:
                    cmd = f.read()
            except OSError:
                continue
            # the title is "<instance_name>/lmtp [...]"
            title = cmd.split(b"\0")[0].split(b" ")[0]
            if ppid == self.master_pid and title.endswith(b"/lmtp"):
                pids.append(int(pid))
        return pids

    def cpu_seconds(self):
        """CPU used so far by the instance: the master, its live children
        and (cutime/cstime) the children it has reaped."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % pid) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            ppid = int(fields[1])
            utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
            if int(pid) == self.master_pid:
                total += utime + stime + cutime + cstime
            elif ppid == self.master_pid:
                total += utime + stime
        return total / float(tick)

    def stop(self):
        try:
            os.kill(self.master_pid, 15)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(self.master_pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)

    def errors(self):
        with open(self.log(), errors="replace") as f:
            return [l.rstrip() for l in f
                    if " Error: " in l or " Fatal: " in l or " Panic: " in l]

    def cleanup(self):
        shutil.rmtree(self.root, ignore_errors=True)


class LmtpClient:
    """Just enough LMTP to deliver one message after another on one
    connection, timing each transaction from MAIL FROM to the final
    reply after the dot."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.file = self.sock.makefile("rb")
        self.reply()
        self.command(b"LHLO bench.example.com")

    def reply(self):
        while True:
            line = self.file.readline()
            if not line:
                raise RuntimeError("connection closed")
            if line[3:4] != b"-":
                if line[:1] not in (b"2", b"3"):
                    raise RuntimeError("LMTP: " + line.decode(errors="replace"))
                return line

    def command(self, line):
        self.sock.sendall(line + b"\r\n")
        return self.reply()

    def deliver(self, sender, recipient, data):
        start = time.perf_counter()
        self.command(b"MAIL FROM:<" + sender + b">")
        self.command(b"RCPT TO:<" + recipient + b">")
        self.command(b"DATA")
        self.sock.sendall(data + b".\r\n")
        self.reply()
        return time.perf_counter() - start

    def quit(self):
        self.command(b"QUIT")
        self.sock.close()


def dot_stuff(text):
    lines = text.replace(b"\r\n", b"\n").split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return b"".join((b"." + l if l.startswith(b".") else l) + b"\r\n"
                    for l in lines)


# DSNs for the delivery benchmark: RFC 3464 reports as Postfix and Exim
# style MTAs send them, with varied status codes and texts, written here
# (example.* domains only)
DSN_DIAGNOSTICS = [
    ("5.1.1", "550", "5.1.1 <{rcpt}>: Recipient address rejected: User unknown in virtual mailbox table"),
    ("5.2.2", "552", "5.2.2 Mailbox full, quota exceeded"),
    ("4.4.1", "421", "4.4.1 Connection timed out while talking to mx.{domain}"),
    ("5.7.1", "550", "5.7.1 Message rejected as spam by content filter"),
    ("5.1.2", "550", "5.1.2 Host or domain name not found. Name service error for name={domain}"),
    ("4.2.2", "452", "4.2.2 The email account that you tried to reach is over quota"),
]
DSN_DOMAINS = ["example.com", "example.net", "example.org", "mail.example.com",
               "example.co.uk", "sub.example.net"]


def make_dsn(i, rng):
    domain = rng.choice(DSN_DOMAINS)
    rcpt = "user%05d@%s" % (i, domain)
    status, code, diag = rng.choice(DSN_DIAGNOSTICS)
    diag = diag.format(rcpt=rcpt, domain=domain)
    action = "delayed" if status.startswith("4") else "failed"
    boundary = "B%08d.bench" % i
    text = """\
Return-Path: <>
Received: by mx.example.net (Postfix) id 4F{i:05d}; Mon,  2 Mar 2026 10:00:00 +0000 (UTC)
Date: Mon,  2 Mar 2026 10:00:00 +0000 (UTC)
From: MAILER-DAEMON@mx.example.net (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: bounces+{verp}@lists.example.org
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="{boundary}"
Message-Id: <20260302100000.4F{i:05d}@mx.example.net>

This is a MIME-encapsulated message.

--{boundary}
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.net.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<{rcpt}>: host mx.{domain}[192.0.2.{octet}] said: {code} {diag}
    (in reply to RCPT TO command)

--{boundary}
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net
X-Postfix-Queue-ID: 4F{i:05d}
Arrival-Date: Mon,  2 Mar 2026 09:59:58 +0000 (UTC)

Final-Recipient: rfc822; {rcpt}
Original-Recipient: rfc822;{rcpt}
Action: {action}
Status: {status}
Remote-MTA: dns; mx.{domain}
Diagnostic-Code: smtp; {code} {diag}

--{boundary}
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

Return-Path: <bounces+{verp}@lists.example.org>
From: News <news@lists.example.org>
To: {rcpt}
Subject: March newsletter
Message-Id: <campaign-7.{i}@lists.example.org>
X-Campaign-Id: 7
List-Id: <news.lists.example.org>

--{boundary}--
""".format(i=i, rcpt=rcpt, domain=domain, status=status, code=code,
           diag=diag, action=action, boundary=boundary,
           verp=rcpt.replace("@", "="), octet=1 + i % 250)
    return dot_stuff(text.encode())


def deliver_all(port, messages, clients):
    """Deliver messages over `clients` concurrent connections. Returns
    (latencies, wall seconds)."""
    latencies = []
    lock = threading.Lock()
    errors = []
    parts = [messages[k::clients] for k in range(clients)]

    def worker(part):
        try:
            client = LmtpClient(port)
            mine = [client.deliver(b"", b"bench+Bounces@example.com", data)
                    for data in part]
            client.quit()
            with lock:
                latencies.extend(mine)
        except Exception as e:  # reported after the join
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(p,)) for p in parts]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    if errors:
        raise errors[0]
    return latencies, wall


def percentile(values, p):
    values = sorted(values)
    k = min(len(values) - 1, max(0, int(round(p / 100.0 * len(values) + 0.5)) - 1))
    return values[k]


def delivery_batch(inst, batch, clients):
    """Deliver batch to inst: latencies, wall seconds, server CPU seconds."""
    cpu_start = inst.cpu_seconds()
    lat, wall = deliver_all(inst.port, batch, clients)
    return lat, wall, inst.cpu_seconds() - cpu_start


def delivery_figures(lat, wall, cpu):
    return {"p50": percentile(lat, 50) * 1000,
            "p99": percentile(lat, 99) * 1000,
            "tput": len(lat) / wall,
            "cpu": cpu * 1000 / len(lat)}


def print_delivery_figures(label, r):
    print("  %-14s p50 %6.2f ms  p99 %6.2f ms  %7.0f msg/s  "
          "server CPU %5.2f ms/msg" %
          (label, r["p50"], r["p99"], r["tput"], r["cpu"]))


def cmd_delivery(args):
    """Both instances run at once, idle but for the batch being delivered:
    batches of the same messages go to one, then the other, the order
    swapped every batch. What the machine's speed does over a run (on a
    shared 2-vCPU VM, a quarter up or down from one minute to the next)
    then hits both alike, where whole runs one after the other differed
    by more than the plugin costs."""
    rng = random.Random(7)
    warmup = [make_dsn(1000000 + i, rng) for i in range(args.warmup)]
    insts = {plugin: Instance(args.modules,
                              "delivery-plugin" if plugin else "delivery",
                              plugin, fsync=args.fsync, storage=args.storage)
             for plugin in (False, True)}
    # per instance: every latency, and wall and CPU seconds summed
    lat = {False: [], True: []}
    wall = {False: 0.0, True: 0.0}
    cpu = {False: 0.0, True: 0.0}
    # per pair of batches, with/without, as the machine was at the time
    pair_ratios = {"p50": [], "tput": [], "cpu": []}
    try:
        for inst in insts.values():
            inst.start()
            deliver_all(inst.port, warmup, args.clients)
        for rnd in range(args.rounds):
            # every round other bounces, as a bounce server gets them
            messages = [make_dsn(rnd * args.n + i, rng)
                        for i in range(args.n)]
            batches = [messages[k:k + args.batch]
                       for k in range(0, len(messages), args.batch)]
            for k, batch in enumerate(batches):
                order = (False, True) if (rnd + k) % 2 == 0 else (True, False)
                pair = {}
                for plugin in order:
                    b_lat, b_wall, b_cpu = delivery_batch(insts[plugin], batch,
                                                          args.clients)
                    lat[plugin].extend(b_lat)
                    wall[plugin] += b_wall
                    cpu[plugin] += b_cpu
                    pair[plugin] = delivery_figures(b_lat, b_wall, b_cpu)
                for key in pair_ratios:
                    pair_ratios[key].append(pair[True][key] /
                                            pair[False][key])
        errors = [e for inst in insts.values() for e in inst.errors()]
        rows = count_rows(insts[True])
    finally:
        for inst in insts.values():
            inst.stop()
            inst.cleanup()
    if errors:
        print("dovecot logged errors:\n  " + "\n  ".join(errors[:5]))

    res = {plugin: delivery_figures(lat[plugin], wall[plugin], cpu[plugin])
           for plugin in (False, True)}
    print("%d rounds of %d DSNs in batches of %d, %d clients, %s; "
          "with the plugin recorded: %s" %
          (args.rounds, args.n, args.batch, args.clients, args.storage, rows))
    print_delivery_figures("without plugin", res[False])
    print_delivery_figures("with plugin", res[True])
    ratio = {key: res[True][key] / res[False][key]
             for key in ("p50", "p99", "tput", "cpu")}
    print("  plugin/baseline: p50 %.3fx  p99 %.3fx  throughput %.3fx  "
          "server CPU %.3fx" %
          (ratio["p50"], ratio["p99"], ratio["tput"], ratio["cpu"]))

    def quartiles(values):
        q = statistics.quantiles(values, n=4)
        return "%.3fx (quartiles %.2f to %.2f)" % (statistics.median(values),
                                                    q[0], q[2])
    print("  pairs of batches, median: p50 %s  throughput %s  server CPU %s" %
          (quartiles(pair_ratios["p50"]), quartiles(pair_ratios["tput"]),
           quartiles(pair_ratios["cpu"])))
    print("RESULT delivery_storage=%s n=%d rounds=%d batch=%d clients=%d "
          "base_p50_ms=%.3f base_p99_ms=%.3f base_tput=%.1f "
          "plugin_p50_ms=%.3f plugin_p99_ms=%.3f plugin_tput=%.1f "
          "p50_ratio=%.3f p99_ratio=%.3f tput_ratio=%.3f base_cpu_ms=%.3f "
          "plugin_cpu_ms=%.3f cpu_ratio=%.3f pair_p50_ratio=%.3f "
          "pair_tput_ratio=%.3f" %
          (args.storage, args.n, args.rounds, args.batch, args.clients,
           res[False]["p50"], res[False]["p99"], res[False]["tput"],
           res[True]["p50"], res[True]["p99"], res[True]["tput"],
           ratio["p50"], ratio["p99"], ratio["tput"], res[False]["cpu"],
           res[True]["cpu"], ratio["cpu"],
           statistics.median(pair_ratios["p50"]),
           statistics.median(pair_ratios["tput"])))


def count_rows(inst):
    db = os.path.join(inst.root, "home", "bench", "bounces.sqlite")
    # what is still in the spool reaches the database with any doveadm
    # bounce command, as it does for an application that asks
    subprocess.run(in_namespace(inst.modules, [
        "doveadm", "-c", inst.conf, "bounce", "stats", "-u", "bench"]),
        capture_output=True)
    if not os.path.exists(db) or shutil.which("sqlite3") is None:
        return "?"
    # and doveadm has given every row its UID (maildir numbers late)
    out = subprocess.run(["sqlite3", "-separator", " ", db,
                          "SELECT count(*), count(*) FILTER (WHERE uid = 0)"
                          " FROM bounces"], capture_output=True, text=True)
    if not out.stdout.strip():
        return "?"
    rows, no_uid = out.stdout.split()
    return "%s rows, %s without a UID" % (rows, no_uid)


def big_dsn(size_mb):
    """A DSN that returns a size_mb MB original message (base64 attachment
    inside the message/rfc822 part), as a mail server bounces a message
    with a big attachment."""
    rng = random.Random(50)
    head = make_dsn(0, rng).decode()
    # keep the notification and status parts, return a full message
    head = head[:head.index("Content-Description: Undelivered Message Headers")]
    b64_line = b"QmlnIGF0dGFjaG1lbnQgZm9yIHRoZSBtZW1vcnkgYmVuY2htYXJrLiBCaWcgYXR0YWNobWVu\r\n"
    lines = size_mb * 1024 * 1024 // len(b64_line)
    boundary = head.split('boundary="', 1)[1].split('"', 1)[0]
    return (head.encode() +
            b"Content-Description: Undelivered Message\r\n"
            b"Content-Type: message/rfc822\r\n\r\n"
            b"From: News <news@lists.example.org>\r\n"
            b"To: user00000@example.com\r\n"
            b"Subject: big\r\n"
            b"MIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=\"inner\"\r\n\r\n"
            b"--inner\r\nContent-Type: text/plain\r\n\r\nsee attachment\r\n"
            b"--inner\r\nContent-Type: application/octet-stream\r\n"
            b"Content-Transfer-Encoding: base64\r\n"
            b"Content-Disposition: attachment; filename=\"big.bin\"\r\n\r\n" +
            b64_line * lines +
            b"--inner--\r\n\r\n--" + boundary.encode() + b"--\r\n")


def vm_field(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])  # kB
    return 0


def smaps_rss(pid):
    """Rss in KiB per mapping (file name, or [heap], [stack], [anon])."""
    rss = {}
    name = None
    with open("/proc/%d/smaps" % pid) as f:
        for line in f:
            fields = line.split()
            if fields and fields[0] == "Rss:":
                rss[name] = rss.get(name, 0) + int(fields[1])
            elif fields and not fields[0].endswith(":"):
                # a mapping's header: range perms offset dev inode [path]
                name = (os.path.basename(fields[5]) if len(fields) > 5
                        else "[anon]")
    return rss


def cmd_memory(args):
    data = big_dsn(args.size_mb)
    small = make_dsn(1, random.Random(1))
    lmtp_service = "  process_limit = 1\n  client_limit = 1\n"
    results = {}
    # "import": a delivery that also imports the spool into SQLite, as
    # the one that finds it larger than bounce_spool_max_size does
    labels = {False: "without plugin", True: "with plugin",
              "import": "importing"}
    for plugin in (False, True, "import"):
        extra = ("plugin {\n  bounce_spool_max_size = 1\n}\n"
                 if plugin == "import" else "")
        inst = Instance(args.modules, "memory", bool(plugin), lmtp_service,
                        extra_conf=extra)
        try:
            inst.start()
            # one small delivery first: the process has loaded everything
            # a delivery needs, so the difference is the big message's
            client = LmtpClient(inst.port)
            client.deliver(b"", b"bench+Bounces@example.com", small)
            pids = inst.lmtp_pids()
            if len(pids) != 1:
                raise RuntimeError("expected one lmtp process, found %r" % pids)
            base = vm_field(pids[0], "VmHWM")
            mappings = smaps_rss(pids[0])
            t = client.deliver(b"", b"bench+Bounces@example.com", data)
            peak = vm_field(pids[0], "VmHWM")
            client.quit()
            errors = inst.errors()
        finally:
            inst.stop()
            inst.cleanup()
        if errors:
            print("dovecot logged errors:\n  " + "\n  ".join(errors[:5]))
        results[plugin] = (base, peak, mappings)
        print("%-14s lmtp VmHWM after a small DSN %6d KiB, after the %d MB one %6d KiB (%.2f s)" %
              (labels[plugin], base, len(data) // 1000000, peak, t))
    diff = results[True][1] - results[False][1]
    import_diff = results["import"][1] - results[False][1]
    print("plugin adds %d KiB (%.2f MiB) to the peak RSS" % (diff, diff / 1024.0))
    print("a delivery that imports the spool: %d KiB (%.2f MiB)" %
          (import_diff, import_diff / 1024.0))
    # where: Rss per mapping after the small DSN, with minus without
    without, with_ = results[False][2], results[True][2]
    names = set(without) | set(with_)
    print("Rss after the small DSN, by mapping (with minus without):")
    for name in sorted(names, key=lambda n: without.get(n, 0) - with_.get(n, 0)):
        d = with_.get(name, 0) - without.get(name, 0)
        if abs(d) >= 16:
            print("  %+6d KiB  %s" % (d, name))
    # and what importing the spool adds to that (SQLite's code and heap)
    importing = results["import"][2]
    print("Rss after the small DSN, by mapping (importing minus with):")
    for name in sorted(set(with_) | set(importing),
                       key=lambda n: with_.get(n, 0) - importing.get(n, 0)):
        d = importing.get(name, 0) - with_.get(name, 0)
        if abs(d) >= 16:
            print("  %+6d KiB  %s" % (d, name))
    print("RESULT memory_mb=%d base_hwm_kib=%d plugin_hwm_kib=%d diff_kib=%d"
          " import_diff_kib=%d" %
          (len(data) // 1000000, results[False][1], results[True][1], diff,
           import_diff))


def cmd_classify(args):
    files = args.files * args.repeat
    inst = Instance(args.modules, "classify", True)
    try:
        # doveadm bounce classify needs no running server, only its
        # configuration and the staged doveadm module
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        out = subprocess.run(in_namespace(args.modules,
                             ["doveadm", "-c", inst.conf, "bounce", "classify"] + files),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    finally:
        inst.cleanup()
    if out.returncode != 0:
        sys.stderr.write(out.stderr.decode(errors="replace")[-2000:])
        raise SystemExit("doveadm bounce classify failed (%d)" % out.returncode)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lines = out.stdout.count(b"\n") - 1
    print("doveadm bounce classify: %d files (%d distinct x %d) -> %d rows, "
          "%.2f s CPU, %.2f s wall" % (len(files), len(args.files),
                                       args.repeat, lines, cpu, wall))
    print("doveadm   %10.0f msg/s (CPU)   %10.0f msg/s (wall)" %
          (len(files) / cpu, len(files) / wall))
    print("RESULT doveadm_files=%d doveadm_msgs_per_sec=%.0f doveadm_wall_msgs_per_sec=%.0f" %
          (len(files), len(files) / cpu, len(files) / wall))


def doveadm_timed(inst, args, runs):
    """Run `doveadm ARGS` runs times; returns the median wall and CPU
    seconds (doveadm's own, start-up included, via RUSAGE_CHILDREN) and
    the lines it printed."""
    walls, cpus = [], []
    lines = 0
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        out = subprocess.run(in_namespace(inst.modules,
                             ["doveadm", "-c", inst.conf] + args),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if out.returncode != 0:
            sys.stderr.write(out.stderr.decode(errors="replace")[-2000:])
            raise SystemExit("doveadm %s failed (%d)" %
                             (" ".join(args), out.returncode))
        cpus.append((after.ru_utime - before.ru_utime) +
                    (after.ru_stime - before.ru_stime))
        lines = out.stdout.count(b"\n")
    return statistics.median(walls), statistics.median(cpus), lines


HTTP_PASSWORD = "bench-secret"
# The doveadm HTTP API, as a list app would use it: one doveadm-server
# process serving request after request (Dovecot's default forks one per
# connection: service_count = 1).
HTTP_CONF = """
doveadm_password = %s
service doveadm {
  service_count = 0
  process_min_avail = 1
  inet_listener http {
    address = 127.0.0.1
    port = %d
  }
}
"""


def http_api(port, command, params):
    import base64
    import json
    import urllib.request
    body = json.dumps([[command, params, "bench"]]).encode()
    req = urllib.request.Request(
        "http://127.0.0.1:%d/doveadm/v1" % port, data=body,
        headers={"Content-Type": "application/json",
                 "Authorization": "Basic " + base64.b64encode(
                     b"doveadm:" + HTTP_PASSWORD.encode()).decode()})
    with urllib.request.urlopen(req, timeout=60) as res:
        reply = json.loads(res.read().decode())
    if reply[0][0] != "doveadmResponse":
        raise SystemExit("HTTP API %s failed: %r" % (command, reply))
    return reply[0][1]


def http_timed(port, command, params, runs):
    """Median wall seconds of runs requests, and the rows of the last."""
    walls = []
    rows = []
    for _ in range(runs):
        start = time.perf_counter()
        rows = http_api(port, command, params)
        walls.append(time.perf_counter() - start)
    return statistics.median(walls), len(rows)


def cmd_queries(args):
    """The doveadm commands of the query goals, on a database made by
    bench-gen-db: a user whose bounce_db is that file."""
    import sqlite3
    db = os.path.abspath(args.db)
    # doveadm runs as the mail user and opens the database read-write;
    # in WAL mode it creates -wal and -shm next to it and deletes them
    # on close. Where it can't, every open re-reads the WAL left behind
    # (after a migration: the whole new index), which is not the cost
    # of a query.
    st = os.stat(os.path.dirname(db))
    if st.st_uid != MAIL_UID and (st.st_mode & 0o1777) != 0o1777:
        raise SystemExit("%s: the mail user (uid %d) must be able to create "
                         "files there (mode 1777 like /dev/shm, or owned by "
                         "it)" % (os.path.dirname(db), MAIL_UID))
    for path in (db, db + "-wal", db + "-shm"):
        if os.path.exists(path):
            os.chown(path, MAIL_UID, MAIL_UID)
    conn = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    # the address with the most rows, and a typical one (the median by
    # row count): list must be quick for both
    heavy, heavy_rows = conn.execute(
        "SELECT recipient, count(*) FROM bounces GROUP BY recipient"
        " ORDER BY 2 DESC LIMIT 1").fetchone()
    typical, typical_rows = conn.execute(
        "SELECT recipient, n FROM (SELECT recipient, count(*) AS n"
        " FROM bounces WHERE recipient <> '' GROUP BY 1) ORDER BY n,"
        " recipient LIMIT 1 OFFSET"
        " (SELECT count(DISTINCT recipient) / 2 FROM bounces)").fetchone()
    conn.close()
    http_port = free_port()
    inst = Instance(args.modules, "queries", True, bounce_db=db,
                    extra_conf=HTTP_CONF % (HTTP_PASSWORD, http_port))
    queries = [
        ("stats_by_domain", ["bounce", "stats", "-u", "bench", "--by", "domain"]),
        ("list_recipient_typical",
         ["bounce", "list", "-u", "bench", "--recipient", typical]),
        ("list_recipient_heavy",
         ["bounce", "list", "-u", "bench", "--recipient", heavy]),
        ("export_suppressed",
         ["bounce", "export", "-u", "bench", "--what", "suppressed"]),
        # what every command pays before its query: process start-up,
        # configuration, userdb lookup, opening the database
        ("startup_floor",
         ["bounce", "list", "-u", "bench", "--recipient", "nobody@example.com"]),
    ]
    print("list --recipient: typical %s (%d rows), heaviest %s (%d rows)" %
          (typical, typical_rows, heavy, heavy_rows))
    try:
        inst.start()
        # the first open migrates an older database in place: timed
        # apart, it is not what the queries cost
        first, _, _ = doveadm_timed(inst, queries[-1][1], 1)
        print("first doveadm open (migrates an old schema): %.2f s wall" % first)
        for name, argv in queries:
            doveadm_timed(inst, argv, 1)  # warm the page cache
            wall, cpu, lines = doveadm_timed(inst, argv, args.runs)
            print("%-24s %8.1f ms wall  %8.1f ms CPU  %7d lines  (doveadm %s)" %
                  (name, wall * 1000, cpu * 1000, lines, " ".join(argv[:2])))
            print("RESULT doveadm_query=%s wall_ms=%.1f cpu_ms=%.1f lines=%d" %
                  (name, wall * 1000, cpu * 1000, lines))
            sys.stdout.flush()
        # list --recipient as list apps ask for it: over the HTTP API,
        # where no doveadm process starts per request
        for name, recipient in (("list_recipient_typical", typical),
                                ("list_recipient_heavy", heavy),
                                ("startup_floor", "nobody@example.com")):
            params = {"user": "bench", "recipient": recipient}
            http_timed(http_port, "bounceList", params, 1)
            wall, rows = http_timed(http_port, "bounceList", params,
                                    args.runs * 3)
            print("%-24s %8.1f ms wall  %7d rows  (HTTP API bounceList)" %
                  (name, wall * 1000, rows))
            print("RESULT http_query=%s wall_ms=%.1f rows=%d" %
                  (name, wall * 1000, rows))
            sys.stdout.flush()
        errors = inst.errors()
    finally:
        inst.stop()
        inst.cleanup()
    if errors:
        print("dovecot logged errors:\n  " + "\n  ".join(errors[:5]))


def default_instance_dir():
    if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
        return "/dev/shm"
    return None


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--modules", required=True,
                   help="staged module directory to mount over " + SYSTEM_MODULES)
    p.add_argument("--tmpdir", default=default_instance_dir(),
                   help="where the instances live (default /dev/shm when "
                   "writable: on a disk, the writeback of earlier runs and "
                   "ext4's handling of just-deleted inodes moved a run's "
                   "figures by a quarter, hiding the CPU cost measured)")
    sub = p.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("delivery")
    d.add_argument("-n", type=int, default=5000)
    d.add_argument("-c", "--clients", type=int, default=4)
    d.add_argument("--warmup", type=int, default=200)
    d.add_argument("--rounds", type=int, default=2,
                   help="passes over the N messages, to each instance")
    d.add_argument("--batch", type=int, default=250,
                   help="messages delivered to one instance before the "
                   "other gets the same ones")
    d.add_argument("--storage", choices=sorted(STORAGES), default="maildir")
    d.add_argument("--fsync", default="never",
                   choices=("never", "optimized", "always"),
                   help="mail_fsync for both instances (default never: the "
                   "disk's fsync latency would hide the CPU cost measured)")
    m = sub.add_parser("memory")
    m.add_argument("--size-mb", type=int, default=50)
    c = sub.add_parser("classify")
    c.add_argument("--repeat", type=int, default=20)
    c.add_argument("files", nargs="+")
    q = sub.add_parser("queries")
    q.add_argument("--runs", type=int, default=3)
    q.add_argument("db")
    args = p.parse_args()
    global INSTANCE_DIR
    INSTANCE_DIR = args.tmpdir
    print("instances in %s" % (args.tmpdir or tempfile.gettempdir()))
    {"delivery": cmd_delivery, "memory": cmd_memory,
     "classify": cmd_classify, "queries": cmd_queries}[args.cmd](args)


if __name__ == "__main__":
    main()
