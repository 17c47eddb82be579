#ifndef BOUNCE_FORMAT_LIST_H
#define BOUNCE_FORMAT_LIST_H

/* Order matters: see bounce-format.h. Feedback reports first (they are
   multipart/report too); RFC 3464 before the MTAs' text layouts, which
   are read only when no delivery-status part named a recipient; the
   auto-reply detector after every bounce format, since many bounces
   carry Auto-Submitted: auto-replied; the generic text reader last. */
#define BOUNCE_FORMAT_LIST(X) \
	X(bounce_format_arf) \
	X(bounce_format_rfc3464) \
	X(bounce_format_qmail) \
	X(bounce_format_opensmtpd) \
	X(bounce_format_sendmail) \
	X(bounce_format_exim) \
	X(bounce_format_courier) \
	X(bounce_format_postfix) \
	X(bounce_format_autoreply) \
	X(bounce_format_text)

#endif
