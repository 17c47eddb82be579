/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "bounce-reasons.h"
#include "bounce-store.h"

#include <math.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

/* bench-gen-db [-r ROWS] [-a ADDRESSES] [-b PER_MESSAGE] PATH

   Fills a bounce database for the query benchmarks through the real code
   path: bounce_store_open() creates the schema (all migrations, indexes)
   and every row goes in through bounce_store_record(). Each generated
   bounce message carries PER_MESSAGE recipients, so that a million rows
   take tens of thousands of transactions rather than a million; the
   queries measured never look at which message a row came from.

   The data is shaped like a bulk sender's bounces: recipients' domains
   follow a Zipf-like law (a few big providers, a long tail), some
   addresses bounce again and again, the category mix leans to soft and
   hard bounces, and dates spread over the past year. The random
   generator is seeded, so every run builds the same database. */

#define GEN_DEFAULT_ROWS 1000000
#define GEN_DEFAULT_ADDRESSES 200000
#define GEN_DEFAULT_PER_MESSAGE 20
#define GEN_DOMAINS 5000
#define GEN_DAYS 365

struct gen_reason {
	enum bounce_reason reason;
	const char *status;
	const char *reply_code;
	/* share in per mille */
	unsigned int weight;
};

/* what a bulk sender sees: mostly unknown users, full mailboxes and
   blocks; a few complaints and auto-replies */
static const struct gen_reason gen_reasons[] = {
	{ BOUNCE_REASON_USERUNKNOWN, "5.1.1", "550", 300 },
	{ BOUNCE_REASON_HOSTUNKNOWN, "5.1.2", "550", 40 },
	{ BOUNCE_REASON_MAILBOXFULL, "4.2.2", "452", 180 },
	{ BOUNCE_REASON_EXPIRED, "4.4.7", "", 120 },
	{ BOUNCE_REASON_NETWORKERROR, "4.4.1", "421", 60 },
	{ BOUNCE_REASON_SUSPEND, "5.2.1", "550", 40 },
	{ BOUNCE_REASON_BLOCKED, "5.7.1", "554", 90 },
	{ BOUNCE_REASON_SPAMDETECTED, "5.7.1", "550", 40 },
	{ BOUNCE_REASON_FEEDBACK, "", "", 30 },
	{ BOUNCE_REASON_VACATION, "", "", 70 },
	{ BOUNCE_REASON_UNDEFINED, "", "", 30 },
};

static uint64_t gen_state = 0x9e3779b97f4a7c15ULL;

/* xorshift64*: deterministic across machines, unlike random() */
static uint64_t gen_random(void)
{
	gen_state ^= gen_state >> 12;
	gen_state ^= gen_state << 25;
	gen_state ^= gen_state >> 27;
	return gen_state * 0x2545f4914f6cdd1dULL;
}

static double gen_uniform(void)
{
	return (gen_random() >> 11) * (1.0 / 9007199254740992.0);
}

/* Zipf-like index in [0, n): P(i) ~ 1/(i+1)^s (s != 1), by inverting the
   continuous approximation of the distribution */
static unsigned int gen_zipf(unsigned int n, double s)
{
	double a = 1.0 - s;
	double x = pow(1.0 + gen_uniform() * (pow(n + 1.0, a) - 1.0), 1.0 / a);
	unsigned int i = (unsigned int)x;

	return i < 1 ? 0 : (i > n ? n - 1 : i - 1);
}

static const struct gen_reason *gen_pick_reason(void)
{
	unsigned int total = 0, pick;

	for (unsigned int i = 0; i < N_ELEMENTS(gen_reasons); i++)
		total += gen_reasons[i].weight;
	pick = gen_random() % total;
	for (unsigned int i = 0; i < N_ELEMENTS(gen_reasons); i++) {
		if (pick < gen_reasons[i].weight)
			return &gen_reasons[i];
		pick -= gen_reasons[i].weight;
	}
	i_unreached();
}

static const char *gen_address(unsigned int addr, const unsigned int *domain_of)
{
	return t_strdup_printf("user%06u@d%04u.example", addr, domain_of[addr]);
}

static void gen_add_recipient(struct bounce_report *report, const char *address)
{
	const struct gen_reason *gr = gen_pick_reason();
	struct bounce_recipient *rcpt;

	rcpt = array_append_space(&report->recipients);
	rcpt->address = p_strdup(report->pool, address);
	rcpt->final_recipient = rcpt->address;
	rcpt->reason = gr->reason;
	rcpt->category = bounce_reason_default_category(gr->reason);
	rcpt->action = rcpt->category == BOUNCE_CATEGORY_SOFT &&
		gr->status[0] == '4' ? BOUNCE_ACTION_DELAYED :
		BOUNCE_ACTION_FAILED;
	rcpt->status = *gr->status == '\0' ? NULL : gr->status;
	rcpt->reply_code = *gr->reply_code == '\0' ? NULL : gr->reply_code;
	rcpt->hard = rcpt->category == BOUNCE_CATEGORY_HARD;
	rcpt->rule = "bench";
	rcpt->diagnostic = p_strdup_printf(report->pool,
		"%s %s <%s>: generated for the query benchmark",
		gr->reply_code, gr->status, address);
	rcpt->remote_mta = p_strdup_printf(report->pool, "mx.%s",
					   strchr(address, '@') + 1);
}

static void gen_fill_report(struct bounce_report *report, time_t bounced_at)
{
	char date[64];
	struct tm *tm = gmtime(&bounced_at);

	if (strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", tm) == 0)
		i_unreached();
	report->kind = BOUNCE_KIND_DSN;
	report->format = "rfc3464";
	report->reporting_mta = "mx.bench.example.net";
	report->arrival_date = p_strdup(report->pool, date);
	report->orig_from = "News <news@lists.example.org>";
	report->orig_subject = "Newsletter";
}

static int gen_message(struct bounce_store *store, unsigned int msg_no,
		       unsigned int per_message, unsigned int *next_row,
		       unsigned int rows, unsigned int addresses,
		       const unsigned int *domain_of, time_t now,
		       const char **error_r)
{
	struct bounce_store_message msg;
	struct bounce_report *report;
	pool_t pool;
	int ret;

	pool = pool_alloconly_create("bench report", 16 * 1024);
	report = p_new(pool, struct bounce_report, 1);
	report->pool = pool;
	p_array_init(&report->recipients, pool, per_message);
	p_array_init(&report->campaign_headers, pool, 1);
	gen_fill_report(report, now - 60 -
			(time_t)(gen_uniform() * GEN_DAYS * 24 * 3600));
	for (unsigned int i = 0; i < per_message && *next_row < rows; i++) {
		unsigned int row = (*next_row)++;
		/* every address once, then the ones that bounce again */
		unsigned int addr = row < addresses ? row :
			gen_zipf(addresses, 0.5);

		gen_add_recipient(report, gen_address(addr, domain_of));
	}
	i_zero(&msg);
	msg.mailbox = "Bounces";
	msg.mailbox_guid = "0123456789abcdef0123456789abcdef";
	msg.uid = msg_no + 1;
	msg.message_id = t_strdup_printf("<gen-%u@mx.bench.example.net>",
					 msg_no);
	msg.recorded_at = now;
	ret = bounce_store_record(store, &msg, report, error_r);
	pool_unref(&pool);
	return ret < 0 ? -1 : 0;
}

static void ATTR_NORETURN gen_usage(void)
{
	i_fatal("Usage: bench-gen-db [-r ROWS] [-a ADDRESSES] [-b PER_MESSAGE] PATH");
}

int main(int argc, char *argv[])
{
	unsigned int rows = GEN_DEFAULT_ROWS, addresses = GEN_DEFAULT_ADDRESSES;
	unsigned int per_message = GEN_DEFAULT_PER_MESSAGE;
	unsigned int next_row = 0, *domain_of;
	struct bounce_store *store;
	const char *error;
	time_t now = time(NULL);
	int c, ret = 0;

	lib_init();
	while ((c = getopt(argc, argv, "r:a:b:")) != -1) {
		switch (c) {
		case 'r':
			if (str_to_uint(optarg, &rows) < 0)
				gen_usage();
			break;
		case 'a':
			if (str_to_uint(optarg, &addresses) < 0 || addresses == 0)
				gen_usage();
			break;
		case 'b':
			if (str_to_uint(optarg, &per_message) < 0 ||
			    per_message == 0)
				gen_usage();
			break;
		default:
			gen_usage();
		}
	}
	if (optind + 1 != argc)
		gen_usage();

	/* each address belongs to one domain: big providers hold most */
	domain_of = i_new(unsigned int, addresses);
	for (unsigned int i = 0; i < addresses; i++)
		domain_of[i] = gen_zipf(GEN_DOMAINS, 1.1);

	if (unlink(argv[optind]) < 0 && errno != ENOENT)
		i_fatal("unlink(%s) failed: %m", argv[optind]);
	if (bounce_store_open(argv[optind], BOUNCE_STORE_DEFAULT_BUSY_TIMEOUT_MSECS,
			      &store, &error) < 0)
		i_fatal("%s", error);
	for (unsigned int msg_no = 0; next_row < rows && ret == 0; msg_no++) T_BEGIN {
		ret = gen_message(store, msg_no, per_message, &next_row, rows,
				  addresses, domain_of, now, &error);
		if (ret < 0)
			i_error("%s", error);
	} T_END;
	bounce_store_close(&store);
	i_free(domain_of);
	printf("generated %u rows over %u addresses in %s\n",
	       next_row, addresses, argv[optind]);
	lib_deinit();
	return ret < 0 ? 1 : 0;
}
