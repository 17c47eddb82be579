"""The doveadm HTTP API, as list apps call it (docs/list-apps.md).

Starts the private Dovecot with doveadm's HTTP listener, delivers a
bounce over LMTP, and reads it back with the same JSON request the
documentation's curl example sends: [["bounceList", {...}, "tag"]].
"""

import base64
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bouncetest import Check, Dovecot, Runner, User, free_port, make_dsn  # noqa: E402

TOP_SRCDIR = os.environ.get("top_srcdir") or os.path.abspath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BOUNCE_CONF = os.path.join(TOP_SRCDIR, "conf.d", "90-bounce.conf")
PASSWORD = "api-secret"


def api(port, commands):
    req = urllib.request.Request(
        "http://127.0.0.1:%d/doveadm/v1" % port,
        data=json.dumps(commands).encode(),
        headers={"Content-Type": "application/json",
                 "Authorization": "Basic " + base64.b64encode(
                     b"doveadm:" + PASSWORD.encode()).decode()})
    with urllib.request.urlopen(req, timeout=30) as res:
        return json.loads(res.read().decode())


def test_bounce_list(d, port):
    mail = make_dsn("api1", [("gone@example.org", "failed", "5.1.1",
                              "550 5.1.1 <gone@example.org>: User unknown",
                              "mx1.example.org")])
    chk = Check("HTTP API")
    chk.eq("LMTP", d.lmtp_deliver(mail, ["lists+Bounces@example.com"])[0][0],
           250)
    reply = api(port, [["bounceList", {"user": "lists",
                                       "category": "hard"}, "t1"]])
    chk.eq("reply tag", reply[0][2], "t1")
    chk.eq("reply type", reply[0][0], "doveadmResponse")
    rows = reply[0][1]
    chk.eq("rows", [(r["recipient"], r["status"], r["reason"], r["category"])
                    for r in rows],
           [("gone@example.org", "5.1.1", "userunknown", "hard")])
    # the very command docs/list-apps.md shows
    if shutil.which("curl"):
        out = subprocess.run(
            ["curl", "-s", "-u", "doveadm:" + PASSWORD,
             "-H", "Content-Type: application/json",
             "-d", '[["bounceList", {"user": "lists", "category": "hard", '
                   '"since": "2026-11-01"}, "q1"]]',
             "http://127.0.0.1:%d/doveadm/v1" % port],
            capture_output=True, timeout=30)
        curl_reply = json.loads(out.stdout.decode())
        chk.eq("curl rows", [r["recipient"] for r in curl_reply[0][1]],
               ["gone@example.org"])
    reply = api(port, [["bounceSuppressed", {"user": "lists"}, "t2"]])
    chk.eq("suppressed", [r["address"] for r in reply[0][1]],
           ["gone@example.org"])
    chk.done()


def main():
    runner = Runner()
    port = free_port()
    extra = """
doveadm_password = %s
service doveadm {
  inet_listener http {
    address = 127.0.0.1
    port = %d
  }
}
""" % (PASSWORD, port)
    with Dovecot([User("lists", 5200)], BOUNCE_CONF, extra_conf=extra) as d:
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                api(port, [["bounceList", {"user": "lists"}, "ready"]])
                break
            except OSError:
                time.sleep(0.1)
        runner.run("bounce list and suppressed over the HTTP API",
                   test_bounce_list, d, port)
    return runner.finish()


if __name__ == "__main__":
    sys.exit(main())
