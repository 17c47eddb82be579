#!/bin/sh
# bench-queries.sh DB: the statements behind "doveadm bounce stats --by
# domain", "bounce list --recipient X" and "bounce export --what
# suppressed", timed in the sqlite3 CLI on a database made by
# bench-gen-db, each with its query plan. bench-query-sql prints them as
# the store builds them, so they are exactly what doveadm prepares; the
# parameters are bound as the store binds them. Each query runs RUNS
# times (default 3) in one sqlite3 process (warm cache); the median CPU
# time (user + sys) is reported: on a loaded machine it is what the wall
# time would be on an idle one. bench-dovecot.py queries times the same
# through doveadm itself.
set -eu

db=$1
runs=${BENCH_QUERY_RUNS:-3}
top_builddir=${top_builddir:-$(cd "$(dirname "$0")/.." && pwd)}
query_sql=$top_builddir/bench/bench-query-sql

command -v sqlite3 >/dev/null || { echo "SKIP: sqlite3 not installed"; exit 77; }

# the address with the most rows, and a typical one (the median by row
# count): list must be quick for both
heavy=$(sqlite3 "$db" "SELECT recipient FROM bounces GROUP BY recipient ORDER BY count(*) DESC LIMIT 1")
typical=$(sqlite3 "$db" "SELECT recipient FROM (SELECT recipient, count(*) AS n FROM bounces WHERE recipient <> '' GROUP BY 1) ORDER BY n, recipient LIMIT 1 OFFSET (SELECT count(DISTINCT recipient) / 2 FROM bounces)")

stats_sql=$("$query_sql" stats)
list_sql=$("$query_sql" list)
suppressed_sql=$("$query_sql" suppressed)

# time_query NAME SQL [PARAMS]: median ms of $runs runs, rows, plan
time_query() {
	name=$1 sql=$2 params=${3:-}
	script=$(mktemp)
	{
		echo ".parameter init"
		[ -z "$params" ] || printf '%s\n' "$params"
		echo ".output /dev/null"
		i=0
		while [ $i -lt "$runs" ]; do
			echo ".timer on"
			echo "$sql;"
			echo ".timer off"
			i=$((i + 1))
		done
		echo ".output stdout"
		echo "SELECT 'ROWS', count(*) FROM ($sql);"
		echo "EXPLAIN QUERY PLAN $sql;"
	} > "$script"
	out=$(sqlite3 "$db" < "$script" 2>&1)
	rm -f "$script"
	ms=$(printf '%s\n' "$out" | sed -n 's/^Run Time: real \([0-9.]*\) user \([0-9.]*\) sys \([0-9.]*\).*/\2 \3/p' |
		awk '{print $1 + $2}' |
		sort -n | awk '{v[NR]=$1} END {printf "%.1f", v[int((NR+1)/2)] * 1000}')
	rows=$(printf '%s\n' "$out" | sed -n 's/^ROWS|//p')
	printf '%-28s %8s ms  %7s rows\n' "$name" "$ms" "$rows"
	printf '%s\n' "$out" | sed -n '/^QUERY PLAN/,$p' | sed 's/^/      /'
	echo "RESULT query=$name ms=$ms rows=$rows"
}

run_all() {
	time_query stats_by_domain "$stats_sql" ".parameter set ?8 -1"
	time_query list_recipient_heavy "$list_sql" \
		".parameter set ?5 '$heavy'
.parameter set ?8 -1"
	time_query list_recipient_typical "$list_sql" \
		".parameter set ?5 '$typical'
.parameter set ?8 -1"
	time_query export_suppressed "$suppressed_sql" ".parameter set ?3 -1"
}

echo "database: $(sqlite3 "$db" "SELECT count(*) || ' rows, ' || count(DISTINCT recipient) || ' addresses, ' || count(DISTINCT domain) || ' domains' FROM bounces"), $(du -m "$db" | cut -f1) MB, schema version $(sqlite3 "$db" "PRAGMA user_version")"
echo "list --recipient: heavy $heavy ($(sqlite3 "$db" "SELECT count(*) FROM bounces WHERE recipient = '$heavy'") rows), typical $typical"
run_all
