/* markdown.h — the coach's Markdown, rendered for each platform: HTML (Matrix formatted_body,
 * CommonMark via cmark, raw HTML and unsafe link schemes dropped) and plain text (IRC, console,
 * Matrix body), plus HTML escaping (text a person wrote is escaped for Markdown by
 * text_escape_markdown of text.h).
 * Pure functions: no I/O, no global state; safe from any thread. */
#ifndef SB_MARKDOWN_H
#define SB_MARKDOWN_H

#include <stddef.h>

/* Renders CommonMark text as HTML for Matrix: raw HTML in the input is omitted, links and
 * images with javascript:/vbscript:/file:/data: URLs lose their target, single newlines
 * become <br />, and a message that is one paragraph is returned without the <p> wrapper.
 * Returns a malloc'd string (caller frees), or NULL when md is NULL or memory runs out. */
char *markdown_to_html(const char *md);

/* Renders CommonMark text as plain UTF-8 text: emphasis markers and escapes dropped, lists
 * as "- item" / "1. item" (nested lists indented), quotes as "> ", links as
 * "text (url)" unless the text is the url, paragraphs separated by one blank line, no
 * trailing newline. Unsafe link targets are left out. Newlines remain; callers that need
 * one line (IRC) split on '\n'. Returns a malloc'd string or NULL (md NULL, no memory). */
char *markdown_to_plain(const char *md);

/* Escapes & < > " ' as HTML entities. Returns a malloc'd string or NULL (text NULL, no memory). */
char *markdown_escape_html(const char *text);

#endif
