#ifndef BOUNCE_EXPORT_H
#define BOUNCE_EXPORT_H

/* Rows for list apps to import: RFC 4180 CSV or JSON lines. A row is
   given as parallel arrays of keys, values and "is a number" flags. */

enum bounce_export_format {
	BOUNCE_EXPORT_FORMAT_CSV,
	BOUNCE_EXPORT_FORMAT_JSONL,
};

/* Parse "csv" or "jsonl". */
bool bounce_export_format_parse(const char *name,
				enum bounce_export_format *format_r);

/* Append one CSV cell. A text cell that a spreadsheet would run as a
   formula (it starts with = + - @, a tab or a CR) gets a leading single
   quote; a cell with a comma, quote, CR or LF is quoted, with its quotes
   doubled. Number cells are written as they are. */
void bounce_export_csv_cell(string_t *dest, const char *value, bool number);

/* Append the CSV header row (nothing for JSON lines). */
void bounce_export_append_header(string_t *dest,
				 enum bounce_export_format format,
				 const char *const *keys, unsigned int count);
/* Append one row: a CRLF-terminated CSV record, or one JSON object and
   LF. A number that isn't one is written as a string, never as bad
   JSON. */
void bounce_export_append_row(string_t *dest,
			      enum bounce_export_format format,
			      const char *const *keys,
			      const char *const *values,
			      const bool *numbers, unsigned int count);

#endif
