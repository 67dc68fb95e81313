import { or, sql, type SQL } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';

/** `%`, `_` and the escape character itself, escaped for a LIKE pattern with `ESCAPE '\'`. */
export function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (ch) => '\\' + ch);
}

/**
 * The one way a management search matches text: rows where any of `columns` contains `text` as
 * typed. `%` and `_` in what a user searches for are characters, not wildcards, so the pattern is
 * escaped and the escape character declared — SQLite's LIKE has no default escape character
 * (https://sqlite.org/lang_expr.html#like), so a backslash without `ESCAPE` is a literal backslash.
 * Case-insensitive for ASCII, as SQLite's LIKE is.
 */
export function containsText(text: string, ...columns: SQLiteColumn[]): SQL | undefined {
  const pattern = `%${likeLiteral(text)}%`;
  return or(...columns.map((column) => sql`${column} LIKE ${pattern} ESCAPE '\\'`));
}
