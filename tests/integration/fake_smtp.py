#!/usr/bin/python3
"""A fake remote SMTP server for the real-MTA pipeline test.

It answers RCPT TO by the recipient's local part, the way real servers
reject mail, so that a real Postfix writes real DSNs:

  unknown*   550 5.1.1 user unknown
  fullperm*  552 5.2.2 mailbox full (permanent)
  full*      452 4.2.2 mailbox full (temporary: Postfix retries, sends a
             delay notice, then gives up)
  spam*      554 5.7.1 rejected as spam
  block*     550 5.7.1 client host blocked using an RBL
  big*       552 5.3.4 message too big
  anything else: 250, and the message is appended to an mbox-like file.

Usage: fake_smtp.py PORT PIDFILE ACCEPTED_FILE
Runs until SIGTERM.
"""

import asyncio
import os
import signal
import sys

from aiosmtpd.controller import Controller

RULES = [
    # (local-part prefix, reply) - the first match wins, so longer
    # prefixes that share a start come first
    ("unknown", "550 5.1.1 <{rcpt}>: Recipient address rejected: User unknown in local recipient table"),
    ("fullperm", "552 5.2.2 <{rcpt}>: Mailbox full, quota exceeded"),
    ("full", "452 4.2.2 <{rcpt}>: Mailbox full, try again later"),
    ("spam", "554 5.7.1 <{rcpt}>: Message rejected as spam by content filter"),
    ("block", "550 5.7.1 Service unavailable; client host [127.0.0.1] blocked using an RBL (zen.example.net)"),
    ("big", "552 5.3.4 Message size exceeds fixed maximum message size"),
]


class Handler:
    def __init__(self, accepted_path):
        self.accepted_path = accepted_path

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        for prefix, reply in RULES:
            if local.startswith(prefix):
                return reply.format(rcpt=address)
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        with open(self.accepted_path, "ab") as f:
            f.write(b"X-Fake-Envelope-From: %s\n" % envelope.mail_from.encode())
            f.write(b"X-Fake-Envelope-To: %s\n" % ",".join(envelope.rcpt_tos).encode())
            f.write(envelope.original_content or envelope.content)
            f.write(b"\n\0\n")
        return "250 2.0.0 OK queued"


def main():
    port, pidfile, accepted = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    controller = Controller(Handler(accepted), hostname="127.0.0.1", port=port,
                            server_hostname="remote.example.net")
    controller.start()
    with open(pidfile, "w") as f:
        f.write("%d\n" % os.getpid())
    loop = asyncio.new_event_loop()
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, stop.set_result, None)
    loop.add_signal_handler(signal.SIGINT, stop.set_result, None)
    loop.run_until_complete(stop)
    controller.stop()
    os.unlink(pidfile)


if __name__ == "__main__":
    main()
