#!/bin/sh
# bench-queries.sh DB [INDEXES.sql]: time the queries behind
# "bounce stats --by domain", "bounce list --recipient X" and
# "bounce export --what suppressed" on a database made by bench-gen-db,
# and print each query plan. Until the doveadm commands exist, these are
# the SQL they need: list is the exact statement bounce_store_list()
# prepares, with its parameters bound as it binds them; stats and export
# are the obvious GROUP BY queries. With INDEXES.sql, the same queries run
# again on a copy of the database with those indexes added, to show what
# they buy. Each query runs RUNS times (default 3) in one sqlite3 process
# (warm cache); the median CPU time (user + sys) is reported: on a
# loaded machine it is what the wall time would be on an idle one.
set -eu

db=$1
indexes=${2:-}
runs=${BENCH_QUERY_RUNS:-3}

command -v sqlite3 >/dev/null || { echo "SKIP: sqlite3 not installed"; exit 77; }

# the address with the most rows, and a typical one: list must be quick
# for both
heavy=$(sqlite3 "$db" "SELECT recipient FROM bounces GROUP BY recipient ORDER BY count(*) DESC LIMIT 1")
typical=user100000@$(sqlite3 "$db" "SELECT domain FROM bounces WHERE recipient LIKE 'user100000@%' LIMIT 1")

# bounce_store_list()'s statement, column list and all
list_columns="id, strftime('%Y-%m-%dT%H:%M:%SZ', recorded_at, 'unixepoch'), strftime('%Y-%m-%dT%H:%M:%SZ', bounced_at, 'unixepoch'), mailbox, uid, recipient, action, status, reply_code, reason, category, CASE hard WHEN 0 THEN 'false' ELSE 'true' END, rule, diagnostic, reporting_mta, remote_mta, original_message_id, smtp_command, diagnostic_type, format, domain, original_recipient, final_recipient, verp_recipient, arrival_date, original_from, original_subject, original_list_id, campaign, feedback_type, source_ip, reported_domain, mailbox_guid, message_guid, message_id"
list_sql="SELECT $list_columns FROM bounces WHERE (?1 IS NULL OR bounced_at >= ?1) AND (?2 IS NULL OR bounced_at < ?2) AND (?3 IS NULL OR category = ?3) AND (?4 IS NULL OR reason = ?4) AND (?5 IS NULL OR recipient = ?5) AND (?6 IS NULL OR domain = ?6) AND (?7 IS NULL OR id = ?7) ORDER BY id LIMIT ?8"
# the same, with only the clause of the filter that is set: what a store
# that appends fixed clause strings per set filter would prepare
list_direct_sql="SELECT $list_columns FROM bounces WHERE recipient = ?5 ORDER BY id LIMIT ?8"

stats_sql="SELECT domain, count(*) AS bounces, count(DISTINCT recipient) AS addresses, sum(category = 'hard'), sum(category = 'soft'), sum(category = 'internal'), sum(category = 'complaint'), max(bounced_at) FROM bounces GROUP BY domain ORDER BY bounces DESC"
# suppressed: any hard bounce or complaint, or 3 soft bounces in 30 days
suppressed_sql="SELECT recipient, count(*), max(bounced_at) FROM bounces WHERE recipient <> '' GROUP BY recipient HAVING sum(category IN ('hard', 'complaint')) > 0 OR sum(category = 'soft' AND bounced_at >= CAST(strftime('%s', 'now', '-30 days') AS INTEGER)) >= 3"

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
	time_query stats_by_domain "$stats_sql"
	time_query list_recipient_heavy "$list_sql" \
		".parameter set ?5 '$heavy'
.parameter set ?8 -1"
	time_query list_recipient_typical "$list_sql" \
		".parameter set ?5 '$typical'
.parameter set ?8 -1"
	time_query list_recipient_direct "$list_direct_sql" \
		".parameter set ?5 '$typical'
.parameter set ?8 -1"
	time_query export_suppressed "$suppressed_sql"
}

echo "database: $(sqlite3 "$db" "SELECT count(*) || ' rows, ' || count(DISTINCT recipient) || ' addresses, ' || count(DISTINCT domain) || ' domains' FROM bounces"), $(du -m "$db" | cut -f1) MB"
echo "list --recipient: heavy $heavy ($(sqlite3 "$db" "SELECT count(*) FROM bounces WHERE recipient = '$heavy'") rows), typical $typical"
echo "--- schema as created by bounce_store_open():"
run_all
if [ -n "$indexes" ]; then
	copy=$db.indexed
	cp "$db" "$copy"
	start=$(date +%s.%N)
	sqlite3 "$copy" < "$indexes"
	end=$(date +%s.%N)
	echo "--- with $(basename "$indexes") (built in $(echo "$end - $start" | bc) s, db now $(du -m "$copy" | cut -f1) MB):"
	sed 's/^/    /' "$indexes"
	db=$copy
	run_all | sed 's/^RESULT query=/RESULT indexed=1 query=/'
	rm -f "$copy" "$copy-wal" "$copy-shm"
fi
