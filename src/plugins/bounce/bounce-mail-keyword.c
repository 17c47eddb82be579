/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "mail-storage.h"
#include "bounce-keyword.h"
#include "bounce-plugin.h"

/* Compiled into both modules: the mail plugin tags new mail, doveadm
   bounce rescan tags what it records or reclassifies. */

static bool bounce_mail_has_keyword(const char *const *keywords,
				    const char *keyword)
{
	for (; *keywords != NULL; keywords++) {
		if (strcasecmp(*keywords, keyword) == 0)
			return TRUE;
	}
	return FALSE;
}

int bounce_mail_set_keyword(struct mail *mail, const char *keyword)
{
	ARRAY_TYPE(const_string) stale;
	const char *const *have, *const *names, *name;
	struct mail_keywords *kw;

	/* only the flags change: the message's content stays as it is */
	have = mail_get_keywords(mail);
	t_array_init(&stale, 4);
	for (names = bounce_keywords_all; *names != NULL; names++) {
		name = *names;
		if ((keyword == NULL || strcmp(name, keyword) != 0) &&
		    bounce_mail_has_keyword(have, name))
			array_push_back(&stale, &name);
	}
	if (array_count(&stale) > 0) {
		array_append_zero(&stale);
		kw = mailbox_keywords_create_valid(mail->box,
						   array_front(&stale));
		mail_update_keywords(mail, MODIFY_REMOVE, kw);
		mailbox_keywords_unref(&kw);
	}
	if (keyword == NULL || bounce_mail_has_keyword(have, keyword))
		return 0;
	const char *add[] = { keyword, NULL };
	kw = mailbox_keywords_create_valid(mail->box, add);
	mail_update_keywords(mail, MODIFY_ADD, kw);
	mailbox_keywords_unref(&kw);
	return 1;
}
