"""A disposable second Postfix instance on loopback, for the real-MTA test.

It has its own configuration, queue and data directories and log file, and
never reads or writes /etc/postfix (only the package's read-only metadata
under meta_directory). It relays everything to a fake remote SMTP server
and delivers bounces for the bounce domain over LMTP into Dovecot.
Everything it starts is stopped by pid.
"""

import os
import pwd
import shutil
import signal
import subprocess
import time

MAIN_CF = """\
# disposable Postfix instance for the dovecot-bounce pipeline test
compatibility_level = 3.6
queue_directory = {dir}/spool
data_directory = {dir}/data
meta_directory = /etc/postfix
shlib_directory = /usr/lib/postfix
daemon_directory = /usr/lib/postfix/sbin
command_directory = /usr/sbin
mail_owner = postfix
setgid_group = postdrop
syslog_name = postfix-bouncetest
maillog_file = {dir}/log/postfix.log
maillog_file_prefixes = {dir}

myhostname = mta.example.net
mydomain = example.net
myorigin = $myhostname
mydestination =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_peername_lookup = no
smtpd_authorized_verp_clients = 127.0.0.0/8
smtpd_banner = $myhostname ESMTP
biff = no
append_dot_mydomain = no
recipient_delimiter = +

relayhost = [127.0.0.1]:{relay_port}
smtp_dns_support_level = disabled
smtp_host_lookup = native
lmtp_host_lookup = native
smtp_tls_security_level = none
smtpd_tls_security_level = none

# the bounce domain is delivered over LMTP into the private Dovecot
virtual_mailbox_domains = {bounce_domain}
virtual_mailbox_maps = static:OK
virtual_transport = lmtp:inet:127.0.0.1:{lmtp_port}
alias_maps =
alias_database =
local_recipient_maps =

# fast retries: a delay notice after ~2 s, give up after {lifetime}
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
delay_warning_time = 2s
maximal_queue_lifetime = {lifetime}
bounce_queue_lifetime = {lifetime}
bounce_template_file = {dir}/etc/bounce.cf
"""

MASTER_CF = """\
127.0.0.1:{smtpd_port} inet n - n - - smtpd
pickup    unix  n       -       n       1       1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""

# The built-in delay template counts in hours, which is 0 with second-scale
# settings; say seconds instead.
BOUNCE_CF = """\
delay_template = <<EOT
Charset: us-ascii
From: Mail Delivery System <MAILER-DAEMON>
Subject: Delayed Mail (still being retried)
Postmaster-Subject: Postmaster Warning: Delayed Mail

This is the mail system at host $myhostname.

####################################################################
# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #
####################################################################

Your message could not be delivered for more than $delay_warning_time_seconds second(s).
It will be retried until it is $maximal_queue_lifetime_seconds second(s) old.

                   The mail system
EOT
"""


class PostfixInstance:
    def __init__(self, directory, smtpd_port, relay_port, lmtp_port,
                 bounce_domain, lifetime="12s"):
        self.dir = directory
        self.smtpd_port = smtpd_port
        self.config_dir = os.path.join(directory, "etc")
        self.params = dict(dir=directory, smtpd_port=smtpd_port,
                           relay_port=relay_port, lmtp_port=lmtp_port,
                           bounce_domain=bounce_domain, lifetime=lifetime)
        self.master_pid = None

    def setup(self):
        for sub in ("etc", "spool", "data", "log"):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        files = {"main.cf": MAIN_CF, "master.cf": MASTER_CF,
                 "bounce.cf": BOUNCE_CF}
        for name, template in files.items():
            path = os.path.join(self.config_dir, name)
            with open(path, "w") as f:
                f.write(template.format(**self.params))
            # postfix start waits ~2 s when main.cf is brand new
            old = time.time() - 120
            os.utime(path, (old, old))
        pw = pwd.getpwnam("postfix")
        os.chown(os.path.join(self.dir, "data"), pw.pw_uid, pw.pw_gid)
        os.chown(os.path.join(self.dir, "spool"), 0, 0)

    def _postfix(self, *args, check=True):
        return subprocess.run(["/usr/sbin/postfix", "-c", self.config_dir]
                              + list(args), stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              check=check, timeout=60)

    def start(self):
        self._postfix("start")
        pidfile = os.path.join(self.dir, "spool", "pid", "master.pid")
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                with open(pidfile) as f:
                    self.master_pid = int(f.read().strip())
                return
            except (OSError, ValueError):
                time.sleep(0.05)
        raise RuntimeError("postfix master did not write " + pidfile)

    def flush(self):
        subprocess.run(["/usr/sbin/postqueue", "-c", self.config_dir, "-f"],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=30)

    def expire_deferred(self):
        """Give up on every deferred message now (final DSNs at once)."""
        subprocess.run(["/usr/sbin/postsuper", "-c", self.config_dir, "-f",
                        "ALL", "deferred"], stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=30)
        self.flush()

    def log(self):
        try:
            with open(os.path.join(self.dir, "log", "postfix.log")) as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        if self.master_pid is None:
            return
        pid, self.master_pid = self.master_pid, None
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        # the master stops its children; wait for the whole session
        deadline = time.time() + 10
        while time.time() < deadline and _session_alive(pid):
            time.sleep(0.05)
        if _session_alive(pid):
            _kill_session(pid, signal.SIGKILL)


def _session_pids(sid):
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # fields[0] is the state, fields[3] the session id
        if fields[0] != "Z" and int(fields[3]) == sid:
            pids.append(int(entry))
    return pids


def _session_alive(sid):
    return len(_session_pids(sid)) > 0


def _kill_session(sid, sig):
    for pid in _session_pids(sid):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass
