/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "bounce-format.h"

/* RFC 3834 auto-replies: placeholder until the classifier issue
   lands the real reader. */
static bool bounce_format_autoreply_extract(const struct bounce_mail *mail ATTR_UNUSED,
				      struct bounce_report *report ATTR_UNUSED)
{
	return FALSE;
}

const struct bounce_format bounce_format_autoreply = {
	.name = "autoreply",
	.extract = bounce_format_autoreply_extract,
};
