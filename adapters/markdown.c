/* markdown.c — renders the dialogs' CommonMark for chat platforms.
 * HTML comes straight from cmark in safe mode (no raw HTML, no javascript: links); plain
 * text comes from walking cmark's tree, because cmark has no plain-text renderer. What to
 * render (which text, for whom) is decided by the core; this file only changes notation. */
#include "markdown.h"

#include "sb.h"

#include <cmark.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HTML_OPTIONS (CMARK_OPT_SAFE | CMARK_OPT_HARDBREAKS | CMARK_OPT_VALIDATE_UTF8)
#define PREFIX_MAX 256 /* indentation of deeply nested lists and quotes is capped here */

static cmark_node *parse(const char *md)
{
    return cmark_parse_document(md, strlen(md), CMARK_OPT_VALIDATE_UTF8);
}

/* A single paragraph needs no <p> in a chat bubble; anything else keeps its blocks. */
static void strip_single_paragraph(char *html)
{
    size_t n = strlen(html);
    while (n > 0 && html[n - 1] == '\n')
        html[--n] = '\0';
    if (n < 7 || strncmp(html, "<p>", 3) != 0 || strcmp(html + n - 4, "</p>") != 0)
        return;
    if (strstr(html + 3, "<p>") != NULL)
        return;
    memmove(html, html + 3, n - 7);
    html[n - 7] = '\0';
}

char *markdown_to_html(const char *md)
{
    if (!md)
        return NULL;
    cmark_node *doc = parse(md);
    if (!doc)
        return NULL;
    char *rendered = cmark_render_html(doc, HTML_OPTIONS);
    cmark_node_free(doc);
    if (!rendered)
        return NULL;
    /* cmark allocates with its own allocator (the system malloc by default); copy so the
     * caller's free() is always right. */
    strip_single_paragraph(rendered);
    char *html = sb_strdup(rendered);
    free(rendered);
    return html;
}

/* The plain-text writer: a prefix (list indentation, "> ") is written lazily at the start
 * of each non-empty line, so blank lines carry no trailing spaces. */
typedef struct plain {
    sb_buf out;
    char prefix[PREFIX_MAX];
    size_t prefix_len;
    int at_line_start;
    int failed;
} plain;

static void put(plain *p, const char *s, size_t n)
{
    for (size_t i = 0; i < n && !p->failed; i++) {
        if (s[i] != '\n' && p->at_line_start) {
            if (p->prefix_len && sb_buf_append(&p->out, p->prefix, p->prefix_len) != SB_OK)
                p->failed = 1;
            p->at_line_start = 0;
        }
        if (sb_buf_append(&p->out, s + i, 1) != SB_OK)
            p->failed = 1;
        if (s[i] == '\n')
            p->at_line_start = 1;
    }
}

static void puts_plain(plain *p, const char *s)
{
    if (s)
        put(p, s, strlen(s));
}

static void newline(plain *p)
{
    if (p->out.len > 0 && !p->at_line_start)
        put(p, "\n", 1);
}

static void blank_line(plain *p)
{
    newline(p);
    if (p->out.len >= 1 && !(p->out.len >= 2 && p->out.data[p->out.len - 2] == '\n'))
        put(p, "\n", 1);
}

static size_t push_prefix(plain *p, const char *s)
{
    size_t saved = p->prefix_len, n = strlen(s);
    if (p->prefix_len + n < PREFIX_MAX) {
        memcpy(p->prefix + p->prefix_len, s, n);
        p->prefix_len += n;
    }
    return saved;
}

static int in_tight_list(cmark_node *node)
{
    cmark_node *parent = cmark_node_parent(node);
    if (cmark_node_get_type(node) == CMARK_NODE_ITEM)
        return parent && cmark_node_get_list_tight(parent);
    cmark_node *list = parent ? cmark_node_parent(parent) : NULL;
    return parent && cmark_node_get_type(parent) == CMARK_NODE_ITEM && list &&
           cmark_node_get_list_tight(list);
}

/* Blocks after the first in their container are separated: a line break in tight lists,
 * a blank line everywhere else. */
static void separate_block(plain *p, cmark_node *node)
{
    if (!cmark_node_previous(node))
        return;
    if (in_tight_list(node))
        newline(p);
    else
        blank_line(p);
}

static int unsafe_url(const char *url)
{
    static const char *const schemes[] = {"javascript:", "vbscript:", "file:", "data:"};
    while (*url == ' ' || *url == '\t')
        url++;
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++)
        if (strncasecmp(url, schemes[i], strlen(schemes[i])) == 0)
            return 1;
    return 0;
}

/* After a link's text: " (url)" unless the text already is the url (autolinks). */
static void link_target(plain *p, cmark_node *node, size_t text_start)
{
    const char *url = cmark_node_get_url(node);
    if (!url || !*url || unsafe_url(url) || p->failed)
        return;
    const char *text = p->out.data ? p->out.data + text_start : "";
    const char *bare = strncmp(url, "mailto:", 7) == 0 ? url + 7 : url;
    if (strcmp(text, url) == 0 || strcmp(text, bare) == 0)
        return;
    if (p->out.len > text_start)
        puts_plain(p, " ");
    puts_plain(p, "(");
    puts_plain(p, url);
    puts_plain(p, ")");
}

static void code_block(plain *p, const char *literal)
{
    size_t n = literal ? strlen(literal) : 0;
    while (n > 0 && literal[n - 1] == '\n')
        n--;
    if (n)
        put(p, literal, n);
}

/* Walks the tree once; containers push their prefix on enter and pop it on exit. */
static void render_plain(plain *p, cmark_node *doc)
{
    size_t saved_prefix[64] = {0}; /* per depth; deeper nesting keeps the outer prefix */
    size_t link_start[64] = {0};
    int depth = 0;
    cmark_iter *it = cmark_iter_new(doc);
    cmark_event_type ev;
    while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE && !p->failed) {
        cmark_node *node = cmark_iter_get_node(it);
        cmark_node_type type = cmark_node_get_type(node);
        int entering = ev == CMARK_EVENT_ENTER;
        int slot = depth < 64 ? depth : 63;
        switch (type) {
        case CMARK_NODE_BLOCK_QUOTE:
        case CMARK_NODE_LIST:
        case CMARK_NODE_ITEM:
            if (entering) {
                separate_block(p, node);
                size_t before = p->prefix_len;
                if (type == CMARK_NODE_BLOCK_QUOTE) {
                    push_prefix(p, "> ");
                } else if (type == CMARK_NODE_ITEM) {
                    cmark_node *list = cmark_node_parent(node);
                    char marker[32] = "- ";
                    if (list && cmark_node_get_list_type(list) == CMARK_ORDERED_LIST) {
                        int number = cmark_node_get_list_start(list);
                        for (cmark_node *s = cmark_node_previous(node); s; s = cmark_node_previous(s))
                            number++;
                        snprintf(marker, sizeof marker, "%d. ", number);
                    }
                    puts_plain(p, marker);
                    push_prefix(p, strlen(marker) == 2 ? "  " : "   ");
                }
                saved_prefix[slot] = before;
                depth++;
            } else {
                depth--;
                slot = depth < 64 ? depth : 63;
                p->prefix_len = saved_prefix[slot];
            }
            break;
        case CMARK_NODE_PARAGRAPH:
        case CMARK_NODE_HEADING:
            if (entering)
                separate_block(p, node);
            break;
        case CMARK_NODE_CODE_BLOCK:
            separate_block(p, node);
            code_block(p, cmark_node_get_literal(node));
            break;
        case CMARK_NODE_HTML_BLOCK:
            separate_block(p, node);
            code_block(p, cmark_node_get_literal(node));
            break;
        case CMARK_NODE_THEMATIC_BREAK:
            separate_block(p, node);
            puts_plain(p, "---");
            break;
        case CMARK_NODE_TEXT:
        case CMARK_NODE_CODE:
        case CMARK_NODE_HTML_INLINE:
            puts_plain(p, cmark_node_get_literal(node));
            break;
        case CMARK_NODE_SOFTBREAK:
        case CMARK_NODE_LINEBREAK:
            puts_plain(p, "\n");
            break;
        case CMARK_NODE_LINK:
        case CMARK_NODE_IMAGE:
            if (entering) {
                link_start[slot] = p->out.len;
                depth++;
            } else {
                depth--;
                slot = depth < 64 ? depth : 63;
                link_target(p, node, link_start[slot]);
            }
            break;
        default: /* document, emphasis, strong, custom: markers only */
            break;
        }
    }
    cmark_iter_free(it);
}

char *markdown_to_plain(const char *md)
{
    if (!md)
        return NULL;
    cmark_node *doc = parse(md);
    if (!doc)
        return NULL;
    plain p = {.at_line_start = 1};
    render_plain(&p, doc);
    cmark_node_free(doc);
    if (p.failed) {
        sb_buf_free(&p.out);
        return NULL;
    }
    while (p.out.len > 0 && (p.out.data[p.out.len - 1] == '\n' || p.out.data[p.out.len - 1] == ' '))
        p.out.data[--p.out.len] = '\0';
    return sb_buf_take(&p.out);
}

char *markdown_escape_html(const char *text)
{
    if (!text)
        return NULL;
    sb_buf b = {0};
    int rc = sb_buf_append(&b, "", 0);
    for (const char *s = text; *s && rc == SB_OK; s++) {
        switch (*s) {
        case '&': rc = sb_buf_puts(&b, "&amp;"); break;
        case '<': rc = sb_buf_puts(&b, "&lt;"); break;
        case '>': rc = sb_buf_puts(&b, "&gt;"); break;
        case '"': rc = sb_buf_puts(&b, "&quot;"); break;
        case '\'': rc = sb_buf_puts(&b, "&#39;"); break;
        default: rc = sb_buf_append(&b, s, 1); break;
        }
    }
    if (rc != SB_OK) {
        sb_buf_free(&b);
        return NULL;
    }
    return sb_buf_take(&b);
}
