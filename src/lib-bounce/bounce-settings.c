/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "bounce-settings.h"

static const char *const bounce_default_campaign_headers[] = {
	"X-Campaign-Id", "X-Mw-Campaign-Uid", "X-Mw-Subscriber-Uid",
	"X-Listmonk-Campaign", "X-Listmonk-Subscriber", "Feedback-ID", NULL
};

void bounce_analyze_settings_init(struct bounce_analyze_settings *set_r)
{
	i_zero(set_r);
	set_r->max_scan_size = BOUNCE_DEFAULT_MAX_SCAN_SIZE;
	set_r->campaign_headers = bounce_default_campaign_headers;
	set_r->verp_delimiters = BOUNCE_DEFAULT_VERP_DELIMITERS;
	set_r->verp_equals = BOUNCE_DEFAULT_VERP_EQUALS;
}
