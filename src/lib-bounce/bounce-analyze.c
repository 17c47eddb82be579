/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "bounce-mail.h"
#include "bounce-format.h"
#include "bounce-classify.h"
#include "bounce-analyze.h"

int bounce_analyze_stream(struct istream *input,
			  const struct bounce_analyze_settings *set,
			  pool_t pool, struct bounce_report **report_r,
			  const char **error_r)
{
	struct bounce_report *report;
	struct bounce_mail *mail;
	pool_t mail_pool;
	int ret;

	report = p_new(pool, struct bounce_report, 1);
	report->pool = pool;
	p_array_init(&report->recipients, pool, 4);
	p_array_init(&report->campaign_headers, pool, 4);

	/* the collected pieces are only needed until the facts are out */
	mail_pool = bounce_mail_pool();
	ret = bounce_mail_parse(input, set->max_scan_size, mail_pool,
				&mail, error_r);
	if (ret == 0) {
		bounce_extract(mail, set, report);
		bounce_classify(report, set);
	}
	p_clear(mail_pool);
	*report_r = report;
	return ret;
}
