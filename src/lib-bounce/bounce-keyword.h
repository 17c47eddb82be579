#ifndef BOUNCE_KEYWORD_H
#define BOUNCE_KEYWORD_H

#include "bounce-report.h"

/* The IMAP keywords that show a bounce message's category to mail
   clients (bounce_keywords = yes), so they can SEARCH KEYWORD $BounceHard. */

/* every bounce keyword, NULL-terminated */
extern const char *const bounce_keywords_all[];

/* The keyword of the report's most severe category, or NULL if it needs
   none (a delivery success notice). A report without recipients gets
   the keyword of its kind: $AutoReply, $Complaint or $BounceUnknown. */
const char *bounce_report_keyword(const struct bounce_report *report);

#endif
