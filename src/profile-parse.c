/* profile-parse.c — .profile files into struct profile (profile.h; the
 * language: DESIGN.md "Profiles", cnetmon.profile(5)).
 *
 * Line-oriented: every statement is one line, so an error costs that line
 * only and parsing goes on, and `cnetmon check` reports every mistake in a
 * file at once, each as FILE:LINE:COL. Input is untrusted: sizes are
 * capped, every token is bounds-checked, nothing is read past a line. */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "arena.h"
#include "inventory.h"
#include "profile.h"
#include "strbuf.h"

#define MAX_FILE     (4u << 20)
#define MAX_TOKENS   512          /* per line */
#define MAX_PROFILES 100000
#define MAX_RULES    1000000      /* per profile */

enum tok_kind { T_WORD, T_STRING, T_COMMA, T_LBRACE, T_RBRACE };

struct tok {
	enum tok_kind kind;
	char *text;                 /* T_WORD, T_STRING: NUL-terminated copy */
	int col;
};

struct parser {
	struct profile_set *set;
	const char *file;           /* owned by set->files */
	int line;
	struct tok *t;              /* MAX_TOKENS of them, unset past nt */
	int nt;
	char *tokbuf;               /* the line's token texts, one after another */
	size_t tokcap;
	struct profile *cur;        /* open profile, or NULL */
	int errors;
	profile_error_fn err;
	void *data;
};

static void perr(struct parser *p, int col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
perr(struct parser *p, int col, const char *fmt, ...)
{
	char msg[512], full[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "%s:%d:%d: %s", p->file, p->line, col, msg);
	p->errors++;
	if (p->err)
		p->err(full, p->data);
}

/* ---- did you mean ------------------------------------------------------ */

static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, prev[64], cur[64];

	if (la >= 63 || lb >= 63)
		return 99;
	for (j = 0; j <= lb; j++)
		prev[j] = j;
	for (i = 1; i <= la; i++) {
		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, sizeof(size_t) * (lb + 1));
	}
	return prev[lb];
}

/* " (did you mean 'x'?)" for the closest candidate within 2 edits, or "". */
static const char *
suggest(const char *word, const char *const *cands, size_t n, char *buf, size_t buflen)
{
	size_t i, best = 3;
	const char *pick = NULL;

	for (i = 0; i < n; i++) {
		size_t d = edit_distance(word, cands[i]);
		if (d < best) {
			best = d;
			pick = cands[i];
		}
	}
	if (!pick)
		return "";
	snprintf(buf, buflen, " (did you mean '%s'?)", pick);
	return buf;
}

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- lexer ------------------------------------------------------------- */

/* What ends a word: white space (isspace in the C locale), ',', '{', '}',
 * '#'. What needs a look inside one: '"' and control characters. */
static const uint8_t word_end[256] = {
	[' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\v'] = 1, ['\f'] = 1, ['\r'] = 1,
	[','] = 1, ['{'] = 1, ['}'] = 1, ['#'] = 1,
};
static const uint8_t word_special[256] = {
	[0x00] = 1, [0x01] = 1, [0x02] = 1, [0x03] = 1, [0x04] = 1, [0x05] = 1, [0x06] = 1,
	[0x07] = 1, [0x08] = 1, [0x0e] = 1, [0x0f] = 1, [0x10] = 1, [0x11] = 1, [0x12] = 1,
	[0x13] = 1, [0x14] = 1, [0x15] = 1, [0x16] = 1, [0x17] = 1, [0x18] = 1, [0x19] = 1,
	[0x1a] = 1, [0x1b] = 1, [0x1c] = 1, [0x1d] = 1, [0x1e] = 1, [0x1f] = 1, [0x7f] = 1,
	['"'] = 1,
};

/* Split one line (no newline) into tokens. -1 on a lexical error (reported). */
static int
lex(struct parser *p, const char *s, size_t n)
{
	size_t i = 0, used = 0;

	p->nt = 0;
	/* A token's text is at most its span of the line, plus a NUL: one
	 * buffer for the line's (a malloc per word made loading a thousand
	 * profiles mostly malloc). */
	if (p->tokcap < n + MAX_TOKENS + 1) {
		char *nb = realloc(p->tokbuf, n + MAX_TOKENS + 1);
		if (!nb) {
			perr(p, 1, "out of memory");
			return -1;
		}
		p->tokbuf = nb;
		p->tokcap = n + MAX_TOKENS + 1;
	}
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		struct tok *t;
		size_t j;

		if (c == '#')
			break;
		if (isspace(c)) {
			i++;
			continue;
		}
		if (p->nt == MAX_TOKENS) {
			perr(p, (int)i + 1, "line too long (more than %d words)", MAX_TOKENS);
			return -1;
		}
		t = &p->t[p->nt];
		t->col = (int)i + 1;
		t->text = NULL;
		if (c == ',' || c == '{' || c == '}') {
			t->kind = c == ',' ? T_COMMA : c == '{' ? T_LBRACE : T_RBRACE;
			p->nt++;
			i++;
			continue;
		}
		if (c < 0x20 || c == 0x7f) {
			perr(p, (int)i + 1, "control character 0x%02x", c);
			return -1;
		}
		/* A word may hold quoted parts, joined as a shell joins them:
		 * label team="pay*" is the word team=pay*. One that starts with
		 * a quote is a string (a quoted peer is never a keyword). */
		{
			char *out = p->tokbuf + used;
			size_t o = 0;

			for (j = i; j < n && !word_end[(unsigned char)s[j]]; j++) {
				if (!word_special[(unsigned char)s[j]]) {
					out[o++] = s[j];
					continue;
				}
				if ((unsigned char)s[j] < 0x20 || s[j] == 0x7f) {
					perr(p, (int)j + 1, "control character 0x%02x", (unsigned char)s[j]);
					return -1;
				}
				size_t q = j;
				for (j++; j < n && s[j] != '"'; j++) {
					if (s[j] == '\\' && j + 1 < n)
						j++;
					out[o++] = s[j];
				}
				if (j >= n) {
					perr(p, (int)q + 1, "unterminated string");
					return -1;
				}
			}
			out[o] = '\0';
			if (strlen(out) != o) {
				perr(p, (int)i + 1, "string holds a NUL byte");
				return -1;
			}
			t->kind = s[i] == '"' ? T_STRING : T_WORD;
			t->text = out;
			used += o + 1;
		}
		p->nt++;
		i = j;
	}
	return 0;
}

static int
is_word(const struct tok *t, const char *w)
{
	return t->kind == T_WORD && !strcmp(t->text, w);
}

static const char *
tok_text(const struct tok *t)
{
	switch (t->kind) {
	case T_COMMA: return ",";
	case T_LBRACE: return "{";
	case T_RBRACE: return "}";
	default: return t->text;
	}
}

/* A WORD or STRING value at index i, or NULL (reported as missing what). */
static const char *
value(struct parser *p, int i, const char *what)
{
	if (i >= p->nt) {
		int col = p->nt ? p->t[p->nt - 1].col + (int)strlen(tok_text(&p->t[p->nt - 1])) : 1;
		perr(p, col, "%s expected at the end of the line", what);
		return NULL;
	}
	if (p->t[i].kind != T_WORD && p->t[i].kind != T_STRING) {
		perr(p, p->t[i].col, "%s expected, not '%s'", what, tok_text(&p->t[i]));
		return NULL;
	}
	return p->t[i].text;
}

/* ---- pieces ------------------------------------------------------------ */

/* Every array and string of a set is in its arena (freed with the set). */
#define grow(p, arrp, n, sz, max) arena_grow((p)->set->arena, arrp, n, sz, max)

static int
valid_name(const char *s)
{
	if (!*s || strlen(s) > 253)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
			return 0;
	return 1;
}

/* "KEY=GLOB" into key and pattern. */
static int
split_label(struct parser *p, const struct tok *t, char **key, char **pattern)
{
	const char *eq = strchr(t->text, '=');

	if (!eq || eq == t->text) {
		perr(p, t->col, "label selector '%s' must be KEY=GLOB", t->text);
		return -1;
	}
	*key = arena_strndup(p->set->arena, t->text, (size_t)(eq - t->text));
	*pattern = arena_strdup(p->set->arena, eq + 1);
	if (!*key || !*pattern) {
		perr(p, t->col, "out of memory");
		return -1;
	}
	return 0;
}

static void
parse_match(struct parser *p)
{
	static const char *const kinds[] = { "name", "image", "id", "label", "namespace" };
	struct match *m;
	char buf[64];
	int i;

	if (p->nt < 2) {
		perr(p, p->t[0].col + 5, "match needs at least one selector (name, image, id, label, "
		     "namespace)");
		return;
	}
	if (!(m = grow(p, &p->cur->matches, &p->cur->nmatches, sizeof(*m), 10000))) {
		perr(p, p->t[0].col, "too many match lines");
		return;
	}
	m->line = p->line;
	for (i = 1; i < p->nt; i += 2) {
		struct selector *s;
		const char *v;
		size_t k;

		if (p->t[i].kind != T_WORD) {
			perr(p, p->t[i].col, "selector expected, not '%s'", tok_text(&p->t[i]));
			goto drop;
		}
		for (k = 0; k < NELEM(kinds) && strcmp(p->t[i].text, kinds[k]); k++)
			;
		if (k == NELEM(kinds)) {
			perr(p, p->t[i].col, "unknown selector '%s'%s", p->t[i].text,
			     suggest(p->t[i].text, kinds, NELEM(kinds), buf, sizeof(buf)));
			goto drop;
		}
		if (!(v = value(p, i + 1, kinds[k])))
			goto drop;
		if (!(s = grow(p, &m->sel, &m->nsel, sizeof(*s), 64))) {
			perr(p, p->t[i].col, "too many selectors");
			goto drop;
		}
		s->kind = (enum sel_kind)k;
		if (s->kind == SEL_LABEL) {
			if (split_label(p, &p->t[i + 1], &s->key, &s->pattern) < 0)
				goto drop;
		} else if (!(s->pattern = arena_strdup(p->set->arena, v))) {
			perr(p, p->t[i].col, "out of memory");
			goto drop;
		}
	}
	return;
drop:
	/* Never half a match line: a selector left out would widen it. */
	p->cur->nmatches--;
}

static int
parse_port(struct parser *p, const struct tok *t, struct port_range *r)
{
	char *end, *dash;
	long lo, hi;

	errno = 0;
	lo = strtol(t->text, &end, 10);
	if (end == t->text || !isdigit((unsigned char)t->text[0]))
		goto bad;
	hi = lo;
	if (*end == '-') {
		dash = end + 1;
		if (!isdigit((unsigned char)*dash))
			goto bad;
		hi = strtol(dash, &end, 10);
	}
	if (*end)
		goto bad;
	if (errno == ERANGE || lo < 1 || lo > 65535 || hi < 1 || hi > 65535) {
		if (errno == ERANGE) {
			perr(p, t->col, "port %s out of range (1-65535)", t->text);
			return -1;
		}
		perr(p, t->col, "port %ld out of range (1-65535)", lo < 1 || lo > 65535 ? lo : hi);
		return -1;
	}
	if (hi < lo) {
		perr(p, t->col, "inverted port range %ld-%ld (did you mean %ld-%ld?)", lo, hi, hi, lo);
		return -1;
	}
	r->lo = (uint16_t)lo;
	r->hi = (uint16_t)hi;
	return 0;
bad:
	perr(p, t->col, "'%s' is not a port or port range (80, 8000-8100)", t->text);
	return -1;
}

static int
looks_like_address(const char *s)
{
	for (; *s; s++)
		if (!isxdigit((unsigned char)*s) && *s != '.' && *s != ':' && *s != '/')
			return 0;
	return 1;
}

/* Clear the host bits of a prefix; 1 if any were set. */
static int
mask_host_bits(uint8_t *a, int family, int plen)
{
	int bytes = family == 6 ? 16 : 4, i, set = 0;
	uint8_t mask[16];

	inv_prefix_mask((unsigned)plen, mask);
	for (i = 0; i < bytes; i++) {
		if (a[i] & ~mask[i])
			set = 1;
		a[i] &= mask[i];
	}
	return set;
}

static int
parse_peer(struct parser *p, int *i, struct rule *r)
{
	static const char *const kinds[] = { "any", "world", "host", "container", "profile",
	                                     "label", "dns" };
	const struct tok *t = &p->t[*i];
	struct peer *pe;
	char buf[64];
	const char *v;

	if (!(pe = grow(p, &r->peers, &r->npeers, sizeof(*pe), 4096))) {
		perr(p, t->col, "too many peers");
		return -1;
	}
	pe->line = p->line;
	pe->col = t->col;
	if (t->kind != T_WORD && t->kind != T_STRING) {
		perr(p, t->col, "peer expected, not '%s'", tok_text(t));
		return -1;
	}
	if (t->kind == T_STRING && !looks_like_address(t->text)) {
		perr(p, t->col, "peer expected, not the string \"%s\" (quote only the glob: "
		     "dns \"*.example.com\")", t->text);
		return -1;
	}
	if (looks_like_address(t->text)) {
		struct inv_addr a;
		char text[64];
		if (inv_addr_parse(t->text, &a) < 0) {
			perr(p, t->col, "bad address or CIDR '%s'", t->text);
			return -1;
		}
		pe->kind = PEER_CIDR;
		pe->family = a.family;
		pe->prefixlen = strchr(t->text, '/') ? a.prefixlen : (a.family == 6 ? 128 : 32);
		memcpy(pe->addr, a.addr, 16);
		if (mask_host_bits(pe->addr, pe->family, pe->prefixlen)) {
			struct inv_addr m = a;
			memcpy(m.addr, pe->addr, 16);
			if (!inet_ntop(m.family == 6 ? AF_INET6 : AF_INET, m.addr, text, sizeof(text)))
				snprintf(text, sizeof(text), "?");
			perr(p, t->col, "CIDR '%s' has host bits set (did you mean %s/%u?)", t->text, text,
			     pe->prefixlen);
			return -1;
		}
		(*i)++;
		return 0;
	}
	if (!strcmp(t->text, "any") || !strcmp(t->text, "world") || !strcmp(t->text, "host")) {
		pe->kind = t->text[0] == 'a' ? PEER_ANY : t->text[0] == 'w' ? PEER_WORLD : PEER_HOST;
		(*i)++;
		return 0;
	}
	if (!strcmp(t->text, "container") || !strcmp(t->text, "profile") ||
	    !strcmp(t->text, "label") || !strcmp(t->text, "dns")) {
		const char *kind = t->text;
		if (!(v = value(p, *i + 1, kind)))
			return -1;
		pe->kind = !strcmp(kind, "container") ? PEER_CONTAINER : !strcmp(kind, "profile") ?
		    PEER_PROFILE : !strcmp(kind, "label") ? PEER_LABEL : PEER_DNS;
		if (pe->kind == PEER_LABEL) {
			if (split_label(p, &p->t[*i + 1], &pe->key, &pe->pattern) < 0)
				return -1;
		} else if (!(pe->pattern = arena_strdup(p->set->arena, v))) {
			perr(p, p->t[*i + 1].col, "out of memory");
			return -1;
		}
		if (pe->kind == PEER_PROFILE && !valid_name(v)) {
			perr(p, p->t[*i + 1].col, "'%s' is not a profile name", v);
			return -1;
		}
		*i += 2;
		return 0;
	}
	perr(p, t->col, "unknown peer '%s'%s", t->text,
	     suggest(t->text, kinds, NELEM(kinds), buf, sizeof(buf)));
	return -1;
}

static void
parse_rule(struct parser *p)
{
	static const char *const protos[] = { "tcp", "udp", "sctp", "icmp", "icmpv6", "any" };
	static const int protonum[] = { PROTO_TCP, PROTO_UDP, PROTO_SCTP, PROTO_ICMP, PROTO_ICMPV6,
	                                PROTO_ANY };
	int egress = is_word(&p->t[0], "egress"), i = 1;
	const char *want = egress ? "to" : "from", *other = egress ? "from" : "to";
	struct rule *r;
	char buf[64];
	size_t k;

	if (!(r = grow(p, &p->cur->rules, &p->cur->nrules, sizeof(*r), MAX_RULES))) {
		perr(p, p->t[0].col, "too many rules");
		return;
	}
	r->egress = egress;
	r->file = p->file;
	r->line = p->line;
	/* A rule that fails to parse is removed again: never half a rule. */
	if (!value(p, i, "allow or deny"))
		goto drop;
	if (is_word(&p->t[i], "allow") || is_word(&p->t[i], "deny")) {
		r->allow = is_word(&p->t[i], "allow");
	} else {
		static const char *const verbs[] = { "allow", "deny" };
		perr(p, p->t[i].col, "'%s': allow or deny expected%s", p->t[i].text,
		     suggest(p->t[i].text, verbs, 2, buf, sizeof(buf)));
		goto drop;
	}
	i++;
	if (!value(p, i, "a protocol (tcp, udp, sctp, icmp, icmpv6, any)"))
		goto drop;
	for (k = 0; k < NELEM(protos) && strcmp(p->t[i].text, protos[k]); k++)
		;
	if (k == NELEM(protos)) {
		perr(p, p->t[i].col, "unknown protocol '%s'%s", p->t[i].text,
		     suggest(p->t[i].text, protos, NELEM(protos), buf, sizeof(buf)));
		goto drop;
	}
	r->proto = protonum[k];
	i++;
	/* Ports until from/to: PORT[,PORT]..., one comma between two. */
	while (i < p->nt && !is_word(&p->t[i], want) && !is_word(&p->t[i], other)) {
		struct port_range pr, *slot;
		if (r->nports && !(p->t[i].kind == T_WORD && !isdigit((unsigned char)p->t[i].text[0]))) {
			if (p->t[i].kind != T_COMMA) {
				perr(p, p->t[i].col, "',' expected between ports, or '%s'", want);
				goto drop;
			}
			if (++i >= p->nt || p->t[i].kind != T_WORD ||
			    !isdigit((unsigned char)p->t[i].text[0])) {
				perr(p, i < p->nt ? p->t[i].col : p->t[i - 1].col + 1,
				     "a port expected after ','");
				goto drop;
			}
		}
		if (p->t[i].kind != T_WORD) {
			perr(p, p->t[i].col, "port or '%s' expected, not '%s'", want, tok_text(&p->t[i]));
			goto drop;
		}
		if (r->proto == PROTO_ICMP || r->proto == PROTO_ICMPV6) {
			perr(p, p->t[i].col, "%s has no ports", protos[k]);
			goto drop;
		}
		if (!isdigit((unsigned char)p->t[i].text[0])) {
			static const char *const dirs[] = { "to", "from" };
			perr(p, p->t[i].col, "'%s': a port or '%s' expected%s", p->t[i].text, want,
			     suggest(p->t[i].text, dirs, 2, buf, sizeof(buf)));
			goto drop;
		}
		if (parse_port(p, &p->t[i], &pr) < 0)
			goto drop;
		if (!(slot = grow(p, &r->ports, &r->nports, sizeof(*slot), 65536))) {
			perr(p, p->t[i].col, "too many ports");
			goto drop;
		}
		*slot = pr;
		i++;
	}
	if (i >= p->nt) {
		value(p, i, egress ? "'to' and the peers" : "'from' and the peers");
		goto drop;
	}
	if (!is_word(&p->t[i], want)) {
		perr(p, p->t[i].col, "%s rules name their peers with '%s', not '%s'",
		     egress ? "egress" : "ingress", want, other);
		goto drop;
	}
	i++;
	if (i >= p->nt) {
		value(p, i, "a peer");
		goto drop;
	}
	for (;;) {
		if (parse_peer(p, &i, r) < 0)
			goto drop;
		if (i >= p->nt)
			break;
		if (p->t[i].kind != T_COMMA) {
			perr(p, p->t[i].col, "',' or the end of the line expected, not '%s'",
			     tok_text(&p->t[i]));
			goto drop;
		}
		if (++i >= p->nt) {
			value(p, i, "a peer after ','");
			goto drop;
		}
	}
	return;
drop:
	p->cur->nrules--;
}

/* ---- statements -------------------------------------------------------- */

static void
open_profile(struct parser *p)
{
	const char *name;
	struct profile *pr;

	if (p->cur) {
		perr(p, p->t[0].col, "profile '%s' (line %d) is not closed before this one",
		     p->cur->name, p->cur->line);
		p->cur = NULL;
	}
	if (!(name = value(p, 1, "a profile name")))
		return;
	if (!valid_name(name)) {
		perr(p, p->t[1].col, "'%s' is not a profile name (letters, digits, '-', '_', '.')",
		     name);
		return;
	}
	if (p->nt < 3 || p->t[2].kind != T_LBRACE) {
		perr(p, p->nt < 3 ? p->t[1].col + (int)strlen(name) : p->t[2].col,
		     "'{' expected after the profile name");
		return;
	}
	if (p->nt > 3) {
		perr(p, p->t[3].col, "nothing may follow '{' on the profile line");
		return;
	}
	if (!(pr = grow(p, &p->set->p, &p->set->n, sizeof(*pr), MAX_PROFILES))) {
		perr(p, p->t[0].col, "too many profiles");
		return;
	}
	if (!(pr->name = arena_strdup(p->set->arena, name))) {
		perr(p, p->t[1].col, "out of memory");
		p->set->n--;
		return;
	}
	pr->file = p->file;
	pr->line = p->line;
	p->cur = pr;
}

static void
statement(struct parser *p)
{
	static const char *const top[] = { "profile" };
	static const char *const inside[] = { "match", "ingress", "egress", "default" };
	const struct tok *t = &p->t[0];
	char buf[64];

	if (t->kind == T_RBRACE) {
		if (!p->cur)
			perr(p, t->col, "'}' without an open profile");
		else if (p->nt > 1)
			perr(p, p->t[1].col, "nothing may follow '}'");
		p->cur = NULL;
		return;
	}
	if (t->kind != T_WORD) {
		perr(p, t->col, "a keyword expected, not '%s'", tok_text(t));
		return;
	}
	if (!strcmp(t->text, "profile")) {
		open_profile(p);
		return;
	}
	if (!p->cur) {
		int known = !strcmp(t->text, "match") || !strcmp(t->text, "ingress") ||
		    !strcmp(t->text, "egress") || !strcmp(t->text, "default");
		perr(p, t->col, known ? "'%s' outside a profile { ... } block%s" :
		     "unknown keyword '%s'%s", t->text,
		     known ? "" : suggest(t->text, top, 1, buf, sizeof(buf)));
		return;
	}
	if (!strcmp(t->text, "match")) {
		parse_match(p);
	} else if (!strcmp(t->text, "ingress") || !strcmp(t->text, "egress")) {
		parse_rule(p);
	} else if (!strcmp(t->text, "default")) {
		if (p->nt != 2 || (!is_word(&p->t[1], "allow") && !is_word(&p->t[1], "deny"))) {
			perr(p, p->nt > 1 ? p->t[1].col : t->col + 8, "default allow or default deny");
			return;
		}
		if (p->cur->default_line) {
			perr(p, t->col, "a second default (the first is on line %d)",
			     p->cur->default_line);
			return;
		}
		p->cur->default_allow = is_word(&p->t[1], "allow");
		p->cur->default_line = p->line;
	} else {
		perr(p, t->col, "unknown keyword '%s'%s", t->text,
		     suggest(t->text, inside, NELEM(inside), buf, sizeof(buf)));
	}
}

static char *
set_add_file(struct profile_set *set, const char *name)
{
	char **slot;

	if (!set->arena && !(set->arena = arena_new()))
		return NULL;
	if (!(slot = arena_grow(set->arena, &set->files, &set->nfiles, sizeof(*slot), 100000)))
		return NULL;
	if (!(*slot = arena_strdup(set->arena, name)))
		set->nfiles--;
	return *slot;
}

int
profile_load_buffer(struct profile_set *set, const char *name, const char *text, size_t len,
                    profile_error_fn err, void *data)
{
	struct parser p = { .set = set, .err = err, .data = data };
	size_t off = 0;

	if (!(p.file = set_add_file(set, name)) ||
	    !(p.t = malloc(MAX_TOKENS * sizeof(*p.t)))) {
		p.file = p.file ? p.file : name;
		perr(&p, 1, "out of memory");
		return p.errors;
	}
	while (off < len) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (text + off)) : len - off;

		p.line++;
		if (n && text[off + n - 1] == '\r')
			n--;
		if (memchr(text + off, '\0', n)) {
			perr(&p, 1, "NUL byte in the line");
		} else if (lex(&p, text + off, n) == 0 && p.nt > 0) {
			statement(&p);
		}
		off += (nl ? (size_t)(nl - (text + off)) + 1 : len - off);
	}
	if (p.cur) {
		p.line = p.cur->line;
		perr(&p, 1, "profile '%s' is not closed: '}' missing", p.cur->name);
	}
	free(p.tokbuf);
	free(p.t);
	return p.errors;
}

static void
file_error(const char *path, const char *what, profile_error_fn err, void *data)
{
	char msg[1024];

	snprintf(msg, sizeof(msg), "%s: %s", path, what);
	if (err)
		err(msg, data);
}

static int
load_file(struct profile_set *set, const char *path, profile_error_fn err, void *data)
{
	struct strbuf text;
	struct stat st;
	int r;

	if (stat(path, &st) < 0) {
		file_error(path, strerror(errno), err, data);
		return 1;
	}
	if (!S_ISREG(st.st_mode)) {
		file_error(path, "not a regular file", err, data);
		return 1;
	}
	strbuf_init(&text, 0);
	if (strbuf_read_file(&text, path, MAX_FILE) < 0) {
		file_error(path, errno == EFBIG ? "larger than 4 MiB" : strerror(errno), err, data);
		strbuf_free(&text);
		return 1;
	}
	r = profile_load_buffer(set, path, text.p, text.len, err, data);
	strbuf_free(&text);
	return r;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
profile_load(struct profile_set *set, const char *path, profile_error_fn err, void *data)
{
	struct dirent *de;
	struct stat st;
	char **names = NULL;
	size_t n = 0, i;
	int errors = 0;
	DIR *d;

	if (stat(path, &st) < 0) {
		file_error(path, strerror(errno), err, data);
		return 1;
	}
	if (!S_ISDIR(st.st_mode))
		return load_file(set, path, err, data);
	if (!(d = opendir(path))) {
		file_error(path, strerror(errno), err, data);
		return 1;
	}
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		char **nn, *full;
		if (l <= 8 || strcmp(de->d_name + l - 8, ".profile") || de->d_name[0] == '.')
			continue;
		if (asprintf(&full, "%.*s/%s", (int)(strlen(path) - (path[strlen(path) - 1] == '/' &&
		             strlen(path) > 1)), path, de->d_name) < 0)
			continue;
		if (!(nn = realloc(names, (n + 1) * sizeof(*nn)))) {
			free(full);
			break;
		}
		names = nn;
		names[n++] = full;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i++) {
		errors += load_file(set, names[i], err, data);
		free(names[i]);
	}
	free(names);
	return errors;
}

/* ---- whole-set checks -------------------------------------------------- */

static void set_error(profile_error_fn err, void *data, const char *file, int line, int col,
                      const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void
set_error(profile_error_fn err, void *data, const char *file, int line, int col, const char *fmt,
          ...)
{
	char msg[512], full[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "%s:%d:%d: %s", file, line, col, msg);
	if (err)
		err(full, data);
}

/* ---- selection index ----------------------------------------------------
 * A profile whose every match line holds a literal name or label selector
 * is filed under those literals; a container then only tries the profiles
 * filed under its name and labels, and the profiles that could not be
 * filed. With a thousand profiles this is what keeps `check -I` and the
 * first flow of each container cheap. */
struct sel_anchor {
	const char *a, *b;        /* a name (b NULL), or a label's key and value: the set's */
	uint32_t prof;
};

struct profile_selindex {
	const struct profile_set *set;
	struct sel_anchor *anchors;     /* sorted by key, then profile */
	size_t nanchors;
	uint32_t *unfiled;              /* profiles every container must try, in order */
	size_t nunfiled;
};

/* Names before labels, then by text: the order anchors are sorted in. */
static int
anchor_cmp(const char *a1, const char *b1, const char *a2, const char *b2)
{
	int c;

	if (!b1 != !b2)
		return b1 ? 1 : -1;
	if ((c = strcmp(a1, a2)) || !b1)
		return c;
	return strcmp(b1, b2);
}

static int
cmp_anchor(const void *a, const void *b)
{
	const struct sel_anchor *x = a, *y = b;
	int c = anchor_cmp(x->a, x->b, y->a, y->b);

	return c ? c : (x->prof > y->prof) - (x->prof < y->prof);
}

void
profile_selindex_free(struct profile_selindex *ix)
{
	if (!ix)
		return;
	free(ix->anchors);
	free(ix->unfiled);
	free(ix);
}

struct profile_selindex *
profile_selindex_new(const struct profile_set *set)
{
	struct profile_selindex *ix = calloc(1, sizeof(*ix));
	size_t i, m, k, cap = 0;

	if (!ix)
		return NULL;
	ix->set = set;
	for (i = 0; i < set->n; i++)
		cap += set->p[i].nmatches;
	if (!(ix->unfiled = calloc(set->n ? set->n : 1, sizeof(*ix->unfiled))) ||
	    !(ix->anchors = calloc(cap ? cap : 1, sizeof(*ix->anchors)))) {
		profile_selindex_free(ix);
		return NULL;
	}
	for (i = 0; i < set->n; i++) {
		const struct profile *p = &set->p[i];
		size_t first = ix->nanchors;
		for (m = 0; m < p->nmatches; m++) {
			const struct selector *an = NULL;
			struct sel_anchor *x;
			for (k = 0; k < p->matches[m].nsel && !an; k++) {
				const struct selector *sl = &p->matches[m].sel[k];
				if ((sl->kind == SEL_NAME || sl->kind == SEL_LABEL) && profile_glob_is_literal(sl->pattern))
					an = sl;
			}
			if (!an)
				break;
			x = &ix->anchors[ix->nanchors++];
			x->prof = (uint32_t)i;
			x->a = an->kind == SEL_LABEL ? an->key : an->pattern;
			x->b = an->kind == SEL_LABEL ? an->pattern : NULL;
		}
		if (m < p->nmatches || !p->nmatches) {
			ix->nanchors = first;
			ix->unfiled[ix->nunfiled++] = (uint32_t)i;
		}
	}
	qsort(ix->anchors, ix->nanchors, sizeof(*ix->anchors), cmp_anchor);
	return ix;
}

/* Call fn for each profile filed under the name a (b NULL) or the label
 * a=b, ascending, until it returns 0. */
static void
each_filed(const struct profile_selindex *ix, const char *a, const char *b,
           int (*fn)(uint32_t prof, void *data), void *data)
{
	size_t lo = 0, hi = ix->nanchors;

	while (lo < hi) {             /* the first entry with this key */
		size_t mid = (lo + hi) / 2;
		if (anchor_cmp(ix->anchors[mid].a, ix->anchors[mid].b, a, b) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < ix->nanchors && !anchor_cmp(ix->anchors[lo].a, ix->anchors[lo].b, a, b); lo++)
		if (!fn(ix->anchors[lo].prof, data))
			break;
}

/* Call fn for every profile that may select c (some more than once). */
static void
each_candidate(const struct profile_selindex *ix, const struct inv_container *c,
               int (*fn)(uint32_t prof, void *data), void *data)
{
	size_t i;

	for (i = 0; i < ix->nunfiled; i++)
		if (!fn(ix->unfiled[i], data))
			break;
	if (c->name)
		each_filed(ix, c->name, NULL, fn, data);
	for (i = 0; i < c->nlabels; i++)
		if (c->labels[i].key && c->labels[i].value)
			each_filed(ix, c->labels[i].key, c->labels[i].value, fn, data);
}

struct first_ctx {
	const struct profile_selindex *ix;
	const struct inv_container *c;
	uint32_t best;
};

static int
first_fn(uint32_t prof, void *data)
{
	struct first_ctx *x = data;

	if (prof >= x->best)
		return 0;             /* lists are ascending: nothing better follows */
	if (profile_selects(&x->ix->set->p[prof], x->c))
		x->best = prof;
	return 1;
}

int
profile_selindex_first(const struct profile_selindex *ix, const struct inv_container *c)
{
	struct first_ctx x = { ix, c, UINT32_MAX };

	each_candidate(ix, c, first_fn, &x);
	return x.best == UINT32_MAX ? -1 : (int)x.best;
}

static int
cmp_name_ref(const void *a, const void *b)
{
	const char *const *x = a, *const *y = b;

	return strcmp(*x, *y);
}

/* Profiles by name, then file order. */
static int
cmp_prof_by_name(const void *a, const void *b)
{
	const struct profile *const *x = a, *const *y = b;
	int c = strcmp((*x)->name, (*y)->name);

	return c ? c : (*x > *y) - (*x < *y);
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

struct all_ctx {
	const struct profile_selindex *ix;
	const struct inv_container *c;
	uint32_t *hits;               /* profiles selecting c, in the order found */
	size_t nhits;
};

static int
all_fn(uint32_t prof, void *data)
{
	struct all_ctx *x = data;
	size_t i;

	for (i = 0; i < x->nhits; i++)  /* a handful at most */
		if (x->hits[i] == prof)
			return 1;
	if (profile_selects(&x->ix->set->p[prof], x->c))
		x->hits[x->nhits++] = prof;
	return 1;
}

int
profile_check_set(const struct profile_set *set, const struct inventory *inv,
                  profile_error_fn err, void *data)
{
	struct profile_selindex *ix = NULL;
	const struct profile **byname = NULL, **first_of = NULL;
	const char **names = NULL;
	uint32_t *hits = NULL;
	size_t i, j, k, l, nn = 0;
	int errors = 0;

	/* Names sorted once: duplicates are neighbours, and a thousand
	 * profiles with `profile` peers each look names up. */
	if (!(names = calloc(set->n ? set->n : 1, sizeof(*names))) ||
	    !(byname = calloc(set->n ? set->n : 1, sizeof(*byname))) ||
	    !(first_of = calloc(set->n ? set->n : 1, sizeof(*first_of)))) {
		errors++;
		goto out;
	}
	for (i = 0; i < set->n; i++)
		if (set->p[i].name)
			byname[nn++] = &set->p[i];
	qsort(byname, nn, sizeof(*byname), cmp_prof_by_name);
	for (i = 0; i < nn; i++) {
		names[i] = byname[i]->name;
		if (i && !strcmp(byname[i]->name, byname[i - 1]->name))
			first_of[byname[i] - set->p] = first_of[byname[i - 1] - set->p]
			                               ? first_of[byname[i - 1] - set->p] : byname[i - 1];
	}
	for (i = 0; i < set->n; i++) {
		const struct profile *a = &set->p[i], *b = first_of[i];
		if (b) {
			set_error(err, data, a->file, a->line, 1,
			          "profile '%s' is already defined at %s:%d", a->name, b->file, b->line);
			errors++;
		}
		for (k = 0; k < a->nrules; k++) {
			for (l = 0; l < a->rules[k].npeers; l++) {
				const struct peer *pe = &a->rules[k].peers[l];
				char buf[80] = "";

				if (pe->kind != PEER_PROFILE ||
				    bsearch(&pe->pattern, names, nn, sizeof(*names), cmp_name_ref))
					continue;
				set_error(err, data, a->rules[k].file, pe->line, pe->col,
				          "no profile named '%s'%s", pe->pattern,
				          suggest(pe->pattern, names, nn, buf, sizeof(buf)));
				errors++;
			}
		}
	}
	if (inv && inv->n && (!(ix = profile_selindex_new(set)) ||
	                      !(hits = calloc(set->n ? set->n : 1, sizeof(*hits))))) {
		errors++;
		goto out;
	}
	for (i = 0; inv && i < inv->n; i++) {
		const struct inv_container *c = inv->c[i];
		struct all_ctx x = { ix, c, hits, 0 };
		const struct profile *first;

		each_candidate(ix, c, all_fn, &x);
		qsort(hits, x.nhits, sizeof(*hits), cmp_u32);   /* file order */
		for (j = 1; j < x.nhits; j++) {
			first = &set->p[hits[0]];
			set_error(err, data, set->p[hits[j]].file, set->p[hits[j]].line, 1,
			          "container '%s' is selected by profile '%s' and by '%s' (%s:%d): "
			          "one profile per container", c->name ? c->name : "?",
			          set->p[hits[j]].name, first->name, first->file, first->line);
			errors++;
		}
	}
out:
	free(hits);
	free(names);
	free(byname);
	free(first_of);
	profile_selindex_free(ix);
	return errors;
}

/* ---- selection --------------------------------------------------------- */

int
profile_glob_is_literal(const char *pattern)
{
	return !strpbrk(pattern, "*?[\\");
}

int
profile_glob(const char *pat, const char *s)
{
	const char *p = pat;

	/* Most globs are a literal or a literal and a final '*': walk the
	 * literal part by hand, and leave fnmatch(3) only what needs it. */
	for (;; p++, s++) {
		switch (*p) {
		case '*':
			if (p[1] == '\0')
				return 1;
			/* fall through */
		case '?':
		case '[':
		case '\\':
			return fnmatch(pat, s - (p - pat), 0) == 0;
		case '\0':
			return *s == '\0';
		default:
			if (*p != *s)
				return 0;
		}
	}
}

static int
selector_holds(const struct selector *s, const struct inv_container *c)
{
	const char *v;

	switch (s->kind) {
	case SEL_NAME:      v = c->name; break;
	case SEL_IMAGE:     v = c->image; break;
	case SEL_NAMESPACE: v = c->namespace; break;
	case SEL_ID:
		return c->id && *s->pattern && !strncmp(c->id, s->pattern, strlen(s->pattern));
	case SEL_LABEL:
		v = inv_container_label(c, s->key);
		break;
	default:
		return 0;
	}
	return v && profile_glob(s->pattern, v);
}

int
profile_selects(const struct profile *p, const struct inv_container *c)
{
	size_t i, k;

	for (i = 0; i < p->nmatches; i++) {
		const struct match *m = &p->matches[i];
		for (k = 0; k < m->nsel && selector_holds(&m->sel[k], c); k++)
			;
		if (m->nsel && k == m->nsel)
			return 1;
	}
	return 0;
}

int
profile_load_paths(struct profile_set *set, const char *const *paths, int npaths,
                   const struct inventory *inv, profile_error_fn err, void *data)
{
	int i, errors = 0;

	for (i = 0; i < npaths; i++)
		errors += profile_load(set, paths[i], err, data);
	return errors + profile_check_set(set, inv, err, data);
}

void
profile_error_stderr(const char *msg, void *data)
{
	(void)data;
	fprintf(stderr, "cnetmon: %s\n", msg);
}

void
profile_set_free(struct profile_set *set)
{
	arena_free(set->arena);
	memset(set, 0, sizeof(*set));
}
