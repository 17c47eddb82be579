#ifndef BOUNCE_RHOST_H
#define BOUNCE_RHOST_H

#include "bounce-reasons.h"

/* Per-provider meanings of codes and texts: some large receivers use a
   status code or a phrase in their own sense (Microsoft's 5.1.10 is an
   unknown recipient, not a null MX; Orange numbers its refusals). */

struct bounce_rhost_host {
	const char *provider;
	/* a host name or domain: matches itself and its subdomains */
	const char *suffix;
};

struct bounce_rhost_rule {
	const char *provider;
	/* all given conditions must hold: the enhanced status code ('?'
	   stands for one digit), the SMTP reply code, a phrase in the
	   diagnostic (bounce-phrase.h syntax) */
	const char *status;
	const char *reply_code;
	const char *phrase;
	enum bounce_reason reason;
};

extern const struct bounce_rhost_host bounce_rhost_hosts[];
extern const unsigned int bounce_rhost_hosts_count;
extern const struct bounce_rhost_rule bounce_rhost_rules[];
extern const unsigned int bounce_rhost_rules_count;

/* The provider whose host or domain name is name (a host name, a
   "dns; host" value or a domain), or NULL. */
const char *bounce_rhost_provider(const char *name);

/* Free the lookup table bounce_rhost_provider() builds on first use. */
void bounce_rhost_deinit(void);

/* Does status match the table's pattern ('?' = one digit)? */
bool bounce_rhost_status_match(const char *pattern, const char *status);

#endif
