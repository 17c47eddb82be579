#ifndef BOUNCE_FORMAT_LIST_H
#define BOUNCE_FORMAT_LIST_H

/* Order matters: see bounce-format.h. Feedback reports first (they are
   multipart/report too); RFC 3464 before the MTAs' text layouts, which
   are read only when no delivery-status part named a recipient; the
   auto-reply detector after every bounce format, since many bounces
   carry Auto-Submitted: auto-replied; the generic text reader last. */
#define BOUNCE_FORMAT_LIST(X) \
	X(bounce_format_arf) \
	/* vendor and provider formats (bounce-format-<vendor>.c) */ \
	X(bounce_format_activehunter) \
	X(bounce_format_amazonses) \
	X(bounce_format_biglobe) \
	X(bounce_format_domino) \
	X(bounce_format_ezweb) \
	X(bounce_format_exchange) \
	X(bounce_format_fml) \
	X(bounce_format_gmail) \
	X(bounce_format_gmx) \
	X(bounce_format_interscanmss) \
	X(bounce_format_mailfoundry) \
	X(bounce_format_mailru) \
	X(bounce_format_mcafee) \
	X(bounce_format_messagelabs) \
	X(bounce_format_mfilter) \
	X(bounce_format_notes) \
	X(bounce_format_verizon) \
	X(bounce_format_yahoo) \
	X(bounce_format_zoho) \
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
