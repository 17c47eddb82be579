#!/bin/sh
# Integration tests: a private Dovecot on loopback with the modules built
# in this tree.
#
# doveadm loads its plugins only from the compiled-in
# /usr/lib/dovecot/modules/doveadm, so the built modules have to appear
# there. Without touching the system: install into a staging directory,
# add Dovecot's stock modules (notify, ...) next to ours, and run the
# tests in a private mount namespace where the staged directory is
# bind-mounted over /usr/lib/dovecot/modules. Nothing outside this
# process tree sees it, and it vanishes when the tests end.
#
# Called by "make check" with top_srcdir/top_builddir exported; can be run
# by hand: top_srcdir=. top_builddir=. sh tests/integration/run.sh
set -eu

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
top_srcdir=$(cd "$top_srcdir" && pwd)
top_builddir=$(cd "$top_builddir" && pwd)
MODULES=/usr/lib/dovecot/modules
PYTHON=${PYTHON:-/usr/bin/python3}

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: the integration tests need root (private Dovecot with mail uids)"
	exit 77
fi
for prog in /usr/sbin/dovecot /usr/bin/doveadm /usr/lib/dovecot/dovecot-lda \
	    /usr/lib/dovecot/imap /usr/lib/dovecot/pop3 /usr/lib/dovecot/lmtp \
	    "$PYTHON"; do
	if [ ! -x "$prog" ]; then
		echo "FAIL: $prog is missing (install dovecot-core dovecot-imapd dovecot-pop3d dovecot-lmtpd python3)"
		exit 1
	fi
done

if [ "${BOUNCETEST_IN_NAMESPACE:-}" = 1 ]; then
	# second stage, inside the private mount namespace
	mount --make-rprivate / 2>/dev/null || true
	mount --bind "$BOUNCETEST_STAGE$MODULES" "$MODULES"
	status=0
	for t in "$top_srcdir"/tests/integration/test_*.py; do
		# BOUNCETEST_ONLY_FILES=test_robustness.py runs just those
		case " ${BOUNCETEST_ONLY_FILES:-$(basename "$t")} " in
		*" $(basename "$t") "*) ;;
		*) continue ;;
		esac
		echo "== $(basename "$t")"
		"$PYTHON" "$t" || status=1
	done
	exit $status
fi

stage=$top_builddir/tests/stage
rm -rf "$stage"
echo "staging the built modules in $stage"
# a fresh make (not part of make check's jobserver), quiet unless it fails
if ! MAKEFLAGS= ${MAKE:-make} -s -C "$top_builddir" install DESTDIR="$stage" \
		>"$top_builddir/tests/stage.log" 2>&1; then
	cat "$top_builddir/tests/stage.log"
	echo "FAIL: make install DESTDIR=$stage failed"
	exit 1
fi
# Dovecot's own modules next to ours; any installed copy of ours stays out
# so the tests see only this build
(cd "$MODULES" && find . ! -type d ! -name '*bounce*' -print) |
while read -r f; do
	mkdir -p "$stage$MODULES/$(dirname "$f")"
	[ -e "$stage$MODULES/$f" ] || cp -a "$MODULES/$f" "$stage$MODULES/$f"
done
for so in lib20_bounce_plugin.so doveadm/lib10_doveadm_bounce_plugin.so; do
	if [ ! -f "$stage$MODULES/$so" ]; then
		echo "FAIL: make install did not install $so"
		exit 1
	fi
done

export top_srcdir top_builddir
BOUNCETEST_STAGE=$stage
export BOUNCETEST_STAGE
if unshare -m true 2>/dev/null; then
	BOUNCETEST_IN_NAMESPACE=1 exec unshare -m sh "$0"
fi

cat <<EOF
********************************************************************
WARNING: unshare -m is not possible here, so the integration tests
cannot use a private mount namespace. Falling back to a REAL
"make install" into $MODULES: the system's Dovecot now has this
build's bounce plugins installed.
********************************************************************
EOF
MAKEFLAGS= ${MAKE:-make} -s -C "$top_builddir" install
status=0
for t in "$top_srcdir"/tests/integration/test_*.py; do
	echo "== $(basename "$t")"
	"$PYTHON" "$t" || status=1
done
exit $status
