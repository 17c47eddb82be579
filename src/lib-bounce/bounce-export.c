/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "str.h"
#include "strnum.h"
#include "json-parser.h"
#include "bounce-export.h"

/* the first characters that make a spreadsheet evaluate a cell (OWASP
   "CSV injection"): formulas, and tab/CR that some strip first */
static const char bounce_export_formula_chars[] = "=+-@\t\r";
/* characters that force RFC 4180 quoting */
static const char bounce_export_quote_chars[] = ",\"\r\n";

bool bounce_export_format_parse(const char *name,
				enum bounce_export_format *format_r)
{
	if (strcasecmp(name, "csv") == 0)
		*format_r = BOUNCE_EXPORT_FORMAT_CSV;
	else if (strcasecmp(name, "jsonl") == 0)
		*format_r = BOUNCE_EXPORT_FORMAT_JSONL;
	else
		return FALSE;
	return TRUE;
}

void bounce_export_csv_cell(string_t *dest, const char *value, bool number)
{
	bool neutralise = !number && value[0] != '\0' &&
		strchr(bounce_export_formula_chars, value[0]) != NULL;

	if (strpbrk(value, bounce_export_quote_chars) == NULL) {
		if (neutralise)
			str_append_c(dest, '\'');
		str_append(dest, value);
		return;
	}
	str_append_c(dest, '"');
	if (neutralise)
		str_append_c(dest, '\'');
	for (; *value != '\0'; value++) {
		if (*value == '"')
			str_append_c(dest, '"');
		str_append_c(dest, *value);
	}
	str_append_c(dest, '"');
}

void bounce_export_append_header(string_t *dest,
				 enum bounce_export_format format,
				 const char *const *keys, unsigned int count)
{
	if (format != BOUNCE_EXPORT_FORMAT_CSV)
		return;
	for (unsigned int i = 0; i < count; i++) {
		if (i > 0)
			str_append_c(dest, ',');
		bounce_export_csv_cell(dest, keys[i], FALSE);
	}
	str_append(dest, "\r\n");
}

static void bounce_export_json_row(string_t *dest, const char *const *keys,
				   const char *const *values,
				   const bool *numbers, unsigned int count)
{
	str_append_c(dest, '{');
	for (unsigned int i = 0; i < count; i++) {
		if (i > 0)
			str_append_c(dest, ',');
		str_append_c(dest, '"');
		json_append_escaped(dest, keys[i]);
		str_append(dest, "\":");
		if (numbers[i] && str_is_float(values[i], '\0'))
			str_append(dest, values[i]);
		else {
			str_append_c(dest, '"');
			json_append_escaped(dest, values[i]);
			str_append_c(dest, '"');
		}
	}
	str_append(dest, "}\n");
}

void bounce_export_append_row(string_t *dest,
			      enum bounce_export_format format,
			      const char *const *keys,
			      const char *const *values,
			      const bool *numbers, unsigned int count)
{
	if (format == BOUNCE_EXPORT_FORMAT_JSONL) {
		bounce_export_json_row(dest, keys, values, numbers, count);
		return;
	}
	for (unsigned int i = 0; i < count; i++) {
		if (i > 0)
			str_append_c(dest, ',');
		bounce_export_csv_cell(dest, values[i], numbers[i]);
	}
	str_append(dest, "\r\n");
}
