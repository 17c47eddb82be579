#ifndef BOUNCE_FORMAT_LIST_H
#define BOUNCE_FORMAT_LIST_H

/* Order matters: see bounce-format.h. */
#define BOUNCE_FORMAT_LIST(X) \
	X(bounce_format_arf) \
	X(bounce_format_rfc3464) \
	X(bounce_format_autoreply)

#endif
