#ifndef BOUNCE_VERP_H
#define BOUNCE_VERP_H

struct bounce_analyze_settings;

/* Decode a VERP return path: "bounces+user=example.org@sender.example"
   gives "user@example.org" (lower-cased, from pool). Returns NULL if the
   address doesn't carry an encoded address. */
const char *bounce_verp_decode(pool_t pool, const char *address,
			       const char *delimiters, const char *equals);

#endif
