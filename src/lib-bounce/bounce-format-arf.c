/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "bounce-format.h"

/* RFC 5965 feedback reports: placeholder until the classifier issue
   lands the real reader. */
static bool bounce_format_arf_extract(const struct bounce_mail *mail ATTR_UNUSED,
				      struct bounce_report *report ATTR_UNUSED)
{
	return FALSE;
}

const struct bounce_format bounce_format_arf = {
	.name = "arf",
	.extract = bounce_format_arf_extract,
};
