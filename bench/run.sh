#!/bin/sh
# bench/run.sh: everything "make bench" runs, in order, skipping what
# can't run here with a line that says why. Figures go to stdout and, as
# RESULT lines, to $BENCH_OUT/summary.txt. See docs/performance.md.
#
# Environment:
#   BENCH_CORPUS_DIR  extra bounce messages to time (default
#                     ../shared/corpus/dev/emails when present; never
#                     committed)
#   BENCH_QUICK=1     smaller sizes, for trying the scripts out
#   BENCH_DB_DIR      where the 1M-row database is built and kept between
#                     runs (default /dev/shm, else $BENCH_OUT)
#   BENCH_SECTIONS    which sections to run (default
#                     "classify sisimai doveadm delivery memory queries")
set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
BENCH_OUT=${BENCH_OUT:-$top_builddir/bench/results}
sections=${BENCH_SECTIONS:-classify sisimai doveadm delivery memory queries}
quick=${BENCH_QUICK:-0}
mkdir -p "$BENCH_OUT"
summary=$BENCH_OUT/summary.txt
: > "$summary"

if [ "$quick" = 1 ]; then
	rounds=3 min_ms=100 sisimai_rounds=1 sisimai_pairs=3 pair_ms=200 dsn_count=500 doveadm_repeat=3
	delivery_rounds=1
	rows=100000 addresses=20000 memory_mb=10
else
	rounds=7 min_ms=300 sisimai_rounds=3 sisimai_pairs=9 pair_ms=1000 dsn_count=5000 doveadm_repeat=20
	delivery_rounds=3
	rows=1000000 addresses=200000 memory_mb=50
fi

section() {
	echo
	echo "=== $1"
	echo "=== $1" >> "$summary"
}
skip() {
	echo "SKIP: $1"
	echo "SKIP: $1" >> "$summary"
}
# run a benchmark, keeping its RESULT lines for the summary
record() {
	"$@" > "$BENCH_OUT/last.log" 2>&1
	rc=$?
	cat "$BENCH_OUT/last.log"
	grep '^RESULT' "$BENCH_OUT/last.log" >> "$summary"
	[ $rc -eq 0 ] || echo "FAILED ($rc): $*" | tee -a "$summary"
	return $rc
}
wanted() {
	case " $sections " in *" $1 "*) return 0 ;; esac
	return 1
}

# --- the machine, so the figures can be read ---
{
	echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "commit: $(git -C "$top_srcdir" describe --always --dirty 2>/dev/null || echo unknown)"
	echo "cpus: $(nproc), $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)"
	echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
	echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "dovecot: $(dovecot --version 2>/dev/null || echo none)"
	echo "sqlite3: $(sqlite3 --version 2>/dev/null | cut -d' ' -f1 || echo none)"
} | tee -a "$summary"

# --- the corpus: our own test messages, plus the dev corpus if here ---
corpus_dir=${BENCH_CORPUS_DIR:-$top_srcdir/../shared/corpus/dev/emails}
files=$(find "$top_srcdir/tests/mail" -name '*.eml' | sort)
if [ -d "$corpus_dir" ]; then
	files="$files $(find "$corpus_dir" -type f -name '*.eml' | sort)"
	echo "corpus: tests/mail + $corpus_dir" | tee -a "$summary"
else
	echo "corpus: tests/mail only ($corpus_dir not found)" | tee -a "$summary"
fi
# shellcheck disable=SC2086
set -- $files
echo "messages: $#" | tee -a "$summary"

if wanted classify; then
	section "classifier throughput, in process, one core (bench-classify)"
	record "$top_builddir/bench/bench-classify" -r $rounds -t $min_ms "$@"
	if command -v valgrind >/dev/null; then
		# instruction counts don't depend on the machine's load
		for mode in parse classify; do
			valgrind --tool=callgrind --callgrind-out-file="$BENCH_OUT/callgrind.$mode" \
				"--toggle-collect=bench_pass_$mode*" \
				"$top_builddir/bench/bench-classify" -r 1 -t 0 -m $mode "$@" \
				> /dev/null 2> "$BENCH_OUT/callgrind.$mode.log"
		done
		parse_ir=$(sed -n 's/^totals: *//p' "$BENCH_OUT/callgrind.parse")
		classify_ir=$(sed -n 's/^totals: *//p' "$BENCH_OUT/callgrind.classify")
		if [ -n "$parse_ir" ] && [ -n "$classify_ir" ] && [ "$parse_ir" -gt 0 ]; then
			ratio=$(echo "scale=3; $classify_ir / $parse_ir" | bc)
			echo "callgrind: parse $parse_ir instructions, classify $classify_ir instructions, ratio ${ratio}x"
			echo "           ($(($classify_ir / $#)) instructions per message; profile: callgrind_annotate $BENCH_OUT/callgrind.classify)"
			echo "RESULT callgrind_parse_ir=$parse_ir callgrind_classify_ir=$classify_ir ir_ratio=$ratio" >> "$summary"
		fi
	else
		skip "callgrind instruction counts: valgrind not installed"
	fi
fi

# One round of the classifier and one of Sisimai, taking turns (which one
# goes first alternates), and the median of the rounds' ratios: the
# machine's speed can move by a third between two timings a minute apart,
# which a ratio of two separate medians takes for a difference between
# the two.
sisimai_taking_turns() {
	pair_ratios=
	for pair in $(seq $sisimai_pairs); do
		for turn in 1 2; do
			if [ $(( (pair + turn) % 2 )) = 0 ]; then
				c=$("$top_builddir/bench/bench-classify" -r 1 -t $pair_ms -m classify "$@" |
					sed -n 's/^classify *median *\([0-9]*\) .*/\1/p')
			else
				s=$(perl "$top_srcdir/bench/bench-sisimai.pl" -r 1 -t $pair_ms "$@" |
					sed -n 's/^RESULT .*sisimai_msgs_per_sec=\([0-9.]*\).*/\1/p')
			fi
		done
		r=$(echo "scale=2; $c / $s" | bc)
		echo "pair $pair: classifier $c msg/s, Sisimai $s msg/s, ${r}x"
		pair_ratios="$pair_ratios $r"
	done
	median=$(echo $pair_ratios | tr ' ' '\n' | sort -n |
		awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
	echo "median of $sisimai_pairs pairs: ${median}x"
	echo "RESULT sisimai_pair_ratio_median=$median sisimai_pairs=$sisimai_pairs" >> "$summary"
}

if wanted sisimai; then
	section "Sisimai over the same files (bench-sisimai.pl)"
	if perl -MSisimai -e 1 2>/dev/null; then
		record perl "$top_srcdir/bench/bench-sisimai.pl" -r $sisimai_rounds -t $pair_ms "$@"
		section "classifier and Sisimai taking turns ($sisimai_pairs pairs)"
		sisimai_taking_turns "$@"
	else
		skip "Sisimai: libsisimai-perl not installed (apt-get install libsisimai-perl)"
	fi
fi

# the staged modules: the system's, plus ours from "make install DESTDIR"
modules=
stage_modules() {
	[ -n "$modules" ] && return 0
	if [ "$(id -u)" != 0 ] || ! command -v dovecot >/dev/null ||
	   ! unshare -m true 2>/dev/null; then
		return 1
	fi
	stage=$BENCH_OUT/stage
	rm -rf "$stage"
	make -C "$top_builddir" install DESTDIR="$stage" > "$BENCH_OUT/stage.log" 2>&1 ||
		{ echo "make install DESTDIR=$stage failed, see $BENCH_OUT/stage.log"; return 1; }
	modules=$BENCH_OUT/modules
	rm -rf "$modules"
	cp -a /usr/lib/dovecot/modules "$modules"
	cp -a "$stage/usr/lib/dovecot/modules/." "$modules/"
	return 0
}
dovecot_bench() {
	record python3 "$top_srcdir/bench/bench-dovecot.py" --modules "$modules" "$@"
}
no_instance="a private Dovecot needs root, dovecot and unshare -m"

if wanted doveadm; then
	section "doveadm bounce classify over the same files"
	if stage_modules; then
		dovecot_bench classify --repeat $doveadm_repeat "$@"
	else
		skip "doveadm bounce classify: $no_instance"
	fi
fi

if wanted delivery; then
	section "delivery overhead over LMTP ($dsn_count DSNs, 4 clients)"
	if stage_modules; then
		# sdbox too: the plugin's own cost, without what maildir
		# spends to give every delivery its UID
		for storage in maildir sdbox; do
			dovecot_bench delivery -n $dsn_count -c 4 --rounds $delivery_rounds \
				--storage $storage
		done
	else
		skip "delivery: $no_instance"
	fi
fi

if wanted memory; then
	section "peak RSS of an LMTP process delivering a $memory_mb MiB bounce"
	if stage_modules; then
		dovecot_bench memory --size-mb $memory_mb
	else
		skip "memory: $no_instance"
	fi
fi

if wanted queries; then
	section "queries over $rows rows, $addresses addresses"
	if ! command -v sqlite3 >/dev/null; then
		skip "queries: sqlite3 CLI not installed"
	else
		db_dir=${BENCH_DB_DIR:-}
		if [ -z "$db_dir" ]; then
			# tmpfs: the build is mostly fsyncs on a disk
			if [ -d /dev/shm ] && [ -w /dev/shm ]; then
				db_dir=/dev/shm
			else
				db_dir=$BENCH_OUT
			fi
		fi
		db=$db_dir/dovecot-bounce-bench-$rows-$addresses.sqlite
		gen=$top_builddir/bench/bench-gen-db
		# built once and kept: rebuilt when the generator (and so the
		# store code linked into it) is newer
		if [ ! -f "$db" ] || [ "$gen" -nt "$db" ]; then
			echo "building $db (once; kept for later runs)"
			start=$(date +%s)
			"$gen" -r $rows -a $addresses "$db" || { skip "queries: bench-gen-db failed"; db=; }
			echo "built in $(($(date +%s) - start)) s"
		fi
		if [ -n "$db" ]; then
			record env top_builddir="$top_builddir" sh \
				"$top_srcdir/bench/bench-queries.sh" "$db"
			# the same through doveadm, start-up and output
			# included: what an administrator waits for
			if stage_modules; then
				dovecot_bench queries "$db"
			else
				skip "queries through doveadm: $no_instance"
			fi
		fi
	fi
fi

echo
echo "summary: $summary"

# --- the ratios the goals are stated in ---
section "ratios (from this run)"
awk '
/^RESULT/ {
	for (i = 2; i <= NF; i++) {
		split($i, kv, "=")
		if ($2 ~ /^delivery_storage=/) {
			storage = $2; sub(/.*=/, "", storage)
			delivery[storage, kv[1]] = kv[2]
		} else if ($2 ~ /^query=/) {
			q = $0; sub(/.*query=/, "", q); sub(/ .*/, "", q)
			if (kv[1] == "ms") qms[q] = kv[2]
		} else if ($2 ~ /^http_query=/) {
			q = $2; sub(/.*=/, "", q)
			if (kv[1] == "wall_ms") hwall[q] = kv[2]
		} else if ($2 ~ /^doveadm_query=/) {
			q = $2; sub(/.*=/, "", q)
			if (kv[1] == "wall_ms") dwall[q] = kv[2]
			if (kv[1] == "cpu_ms") dcpu[q] = kv[2]
		} else v[kv[1]] = kv[2]
	}
}
END {
	if (v["classify_msgs_per_sec"] != "" && v["ratio"] != "")
		printf "classifier: %.2fx the CPU time of a parse-only pass (goal: approach 1x)\n", v["ratio"]
	if (v["ir_ratio"] != "")
		printf "classifier: %.2fx the instructions of a parse-only pass (callgrind)\n", v["ir_ratio"]
	if (v["classify_msgs_per_sec"] != "" && v["sisimai_msgs_per_sec"] > 0)
		printf "classifier vs Sisimai %s: %.1fx the messages per second (goal >= 30x)\n", v["sisimai_version"], v["classify_msgs_per_sec"] / v["sisimai_msgs_per_sec"]
	if (v["sisimai_pair_ratio_median"] != "")
		printf "classifier vs Sisimai, taking turns: %.1fx (median of %d pairs; goal >= 30x)\n", v["sisimai_pair_ratio_median"], v["sisimai_pairs"]
	if (v["doveadm_msgs_per_sec"] != "" && v["sisimai_msgs_per_sec"] > 0)
		printf "doveadm bounce classify vs Sisimai: %.1fx (process start-up and output included)\n", v["doveadm_msgs_per_sec"] / v["sisimai_msgs_per_sec"]
	split("maildir sdbox", storages, " ")
	for (i = 1; i <= 2; i++) {
		st = storages[i]
		if (delivery[st, "p50_ratio"] != "")
			printf "delivery (%s) with/without plugin: p50 %.3fx, p99 %.3fx, throughput %.3fx, server CPU %.3fx (goal: p50 <= 1.10x, throughput >= 0.90x)\n", st, delivery[st, "p50_ratio"], delivery[st, "p99_ratio"], delivery[st, "tput_ratio"], delivery[st, "cpu_ratio"]
	}
	if (v["diff_kib"] != "")
		printf "memory: the plugin adds %.2f MiB to the LMTP peak RSS (goal <= 2 MiB)\n", v["diff_kib"] / 1024
	n = split("stats_by_domain:1000 list_recipient_heavy:50 list_recipient_typical:50 export_suppressed:3000", goals, " ")
	for (i = 1; i <= n; i++) {
		split(goals[i], g, ":")
		if (qms[g[1]] != "")
			printf "%s: %s ms CPU in sqlite3 (goal <= %d ms)\n", g[1], qms[g[1]], g[2]
		if (dwall[g[1]] != "")
			printf "%s through doveadm: %s ms wall, %s ms CPU (start-up alone: %s ms wall)\n", g[1], dwall[g[1]], dcpu[g[1]], dwall["startup_floor"]
		if (hwall[g[1]] != "")
			printf "%s over the HTTP API: %s ms wall (goal <= %d ms)\n", g[1], hwall[g[1]], g[2]
	}
}' "$summary" | tee -a "$summary"
