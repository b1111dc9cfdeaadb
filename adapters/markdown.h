/* markdown.h — the coach's Markdown, rendered for each platform: HTML (Matrix formatted_body,
 * CommonMark via cmark, raw HTML and unsafe link schemes dropped) and plain text (IRC, console,
 * Matrix body), plus the escaping helpers for text a person wrote that is echoed back.
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

/* Escapes text a person wrote so that, placed inside the coach's Markdown, it renders as
 * exactly that text: every ASCII punctuation character gets a backslash. Returns a malloc'd
 * string or NULL (text NULL, no memory). markdown_to_plain(markdown_escape(t)) == t for
 * text without leading spaces or blank-line runs. */
char *markdown_escape(const char *text);

/* Escapes & < > " ' as HTML entities. Returns a malloc'd string or NULL (text NULL, no memory). */
char *markdown_escape_html(const char *text);

#endif
