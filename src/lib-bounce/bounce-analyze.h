#ifndef BOUNCE_ANALYZE_H
#define BOUNCE_ANALYZE_H

#include "bounce-report.h"
#include "bounce-settings.h"

struct istream;

/* The whole pipeline for one message: parse (bounce-parse.c), extract
   (bounce-extract.c and the formats), classify (bounce-classify.c).
   Every message yields a report, possibly with no recipients. Returns -1
   only on a stream read error, with error_r set. */
int bounce_analyze_stream(struct istream *input,
			  const struct bounce_analyze_settings *set,
			  pool_t pool, struct bounce_report **report_r,
			  const char **error_r);

#endif
