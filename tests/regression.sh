#!/bin/sh
# Regression suite: every sample message under tests/mail/ against the
# result written down for it.
#
# Layout
#   tests/mail/<format>/<name>.eml       a bounce (or complaint, auto-reply)
#                                        written for this project, with
#                                        example.org/.net/.com addresses
#   tests/mail/<format>/<name>.expected  what bounce-classify-run must say
#
# The .expected file is plain text, one item per line:
#   # ...                      a comment
#   format <name>              the format that must read the message
#                              ("rfc3464", "qmail", "arf", "rfc3834", ...;
#                              "-" = none recognised it)
#   <address> <action> <status> <replycode> <reason> <category>
#                              one line per recipient, in the order the
#                              tool reports them; fields separated by one
#                              tab each (an empty field is empty) or by
#                              spaces ("-" for an empty field)
# A message with no recipient lines must yield no recipients.
#
# Each field is compared; every mismatch is printed with the file and the
# field, and the suite ends with "N passed, N failed". It exits non-zero
# if any message failed.
#
# BOUNCE_REGRESSION_FIELDS=facts compares only the extraction's facts
# (format, address, action, status, replycode), for work on the
# extractors while the classifier changes.
#
# Run by "make check" with top_srcdir and top_builddir exported; run by
# hand as: top_srcdir=. top_builddir=. sh tests/regression.sh

set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
tool="$top_builddir/tests/bounce-classify-run"

if [ ! -x "$tool" ]; then
	echo "regression: $tool not built" >&2
	exit 99
fi
if ! command -v python3 >/dev/null 2>&1; then
	echo "regression: python3 not found, skipping" >&2
	exit 77
fi

exec python3 - "$tool" "$top_srcdir/tests/mail" \
	"${BOUNCE_REGRESSION_FIELDS:-all}" <<'EOF'
import glob, json, os, subprocess, sys

tool, maildir, mode = sys.argv[1:4]
FIELDS = ["address", "action", "status", "replycode", "reason", "category"]
if mode == "facts":
    FIELDS = FIELDS[:4]

def read_expected(path):
    fmt, rows = None, []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\r\n")
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.split("\t") if "\t" in line else line.split()
            if parts[0] == "format" and len(parts) == 2:
                fmt = "" if parts[1] == "-" else parts[1]
                continue
            if len(parts) != 6:
                raise ValueError("%s:%d: expected 6 fields, got %d"
                                 % (path, n, len(parts)))
            rows.append(["" if p == "-" else p for p in parts])
    return fmt, rows

def run_tool(eml):
    out = subprocess.run([tool, eml], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, timeout=60)
    if out.returncode != 0:
        raise RuntimeError("exit %d: %s" % (out.returncode,
                           out.stderr.decode(errors="replace").strip()))
    return json.loads(out.stdout.decode("utf-8"))

passed = failed = 0
for eml in sorted(glob.glob(os.path.join(maildir, "*", "*.eml"))):
    name = os.path.relpath(eml, maildir)
    expected_path = eml[:-4] + ".expected"
    problems = []
    try:
        if not os.path.exists(expected_path):
            raise ValueError("no %s" % os.path.basename(expected_path))
        fmt, rows = read_expected(expected_path)
        got = run_tool(eml)
    except Exception as e:
        print("FAIL %s: %s" % (name, e))
        failed += 1
        continue

    if fmt is not None and got.get("format", "") != fmt:
        problems.append("format: expected %r, got %r"
                        % (fmt or "-", got.get("format") or "-"))
    rcpts = got.get("recipients", [])
    for i in range(max(len(rows), len(rcpts))):
        if i >= len(rcpts):
            problems.append("recipient %d %s: missing" % (i + 1, rows[i][0]))
            continue
        if i >= len(rows):
            problems.append("recipient %d %s: unexpected"
                            % (i + 1, rcpts[i].get("address")))
            continue
        for field, want in zip(FIELDS, rows[i]):
            have = rcpts[i].get(field) or ""
            if have != want:
                problems.append("recipient %d %s: %s expected %r, got %r"
                                % (i + 1, rows[i][0], field,
                                   want or "-", have or "-"))
    if problems:
        failed += 1
        print("FAIL %s" % name)
        for p in problems:
            print("  " + p)
    else:
        passed += 1

print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
EOF
