/* profile.h — network profiles (DESIGN.md "Profiles", cnetmon.profile(5)):
 * the parsed form of .profile files, and the checks `cnetmon check` makes.
 *
 *   profile NAME {
 *       match SELECTOR...           # selectors on one line are ANDed,
 *       match SELECTOR...           # several match lines are ORed
 *       ingress|egress allow|deny PROTO [PORTS] from|to PEER[, PEER...]
 *       default allow|deny
 *   }
 *
 * Parsing keeps every position (file, line, column) so that errors, and
 * later alerts ("rule": "file:line"), point at the text a person wrote. */
#ifndef CNETMON_PROFILE_H
#define CNETMON_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "flow.h"

struct inventory;

enum sel_kind { SEL_NAME, SEL_IMAGE, SEL_ID, SEL_LABEL, SEL_NAMESPACE };

struct selector {
	enum sel_kind kind;
	char *key;                /* SEL_LABEL: the label key */
	char *pattern;            /* glob (id: a prefix) */
};

struct match {                    /* one match line: all selectors must hold */
	struct selector *sel;
	size_t nsel;
	int line;
};

enum peer_kind {
	PEER_ANY, PEER_WORLD, PEER_HOST, PEER_CIDR, PEER_CONTAINER, PEER_PROFILE, PEER_LABEL,
	PEER_DNS,
};

struct peer {
	enum peer_kind kind;
	uint8_t family;           /* PEER_CIDR: 4 or 6 */
	uint8_t prefixlen;
	uint8_t addr[16];
	char *key;                /* PEER_LABEL */
	char *pattern;            /* container/label/dns glob, profile name */
	int line, col;
};

enum proto_kind { PROTO_ANY = 0, PROTO_TCP = 6, PROTO_UDP = 17, PROTO_SCTP = 132,
	          PROTO_ICMP = 1, PROTO_ICMPV6 = 58 };

struct port_range {
	uint16_t lo, hi;
};

struct rule {
	int egress;               /* 1 egress (to), 0 ingress (from) */
	int allow;
	int proto;                /* enum proto_kind */
	struct port_range *ports; /* none: every port */
	size_t nports;
	struct peer *peers;
	size_t npeers;
	const char *file;         /* borrowed from the profile set */
	int line;
};

struct profile {
	char *name;
	const char *file;
	int line;                 /* of "profile NAME {" */
	struct match *matches;
	size_t nmatches;
	struct rule *rules;       /* in file order: the first that matches decides */
	size_t nrules;
	int default_allow;        /* "default allow"; deny when omitted */
	int default_line;         /* 0 when omitted */
};

struct arena;
struct profile_set {
	struct profile *p;
	size_t n;
	char **files;             /* every file read */
	size_t nfiles;
	struct arena *arena;      /* all of the above lives in it (made on first load) */
};

/* Errors go to a callback as they are found, already formatted
 * "FILE:LINE:COL: message"; parsing goes on after an error, so that one
 * run reports them all. */
typedef void (*profile_error_fn)(const char *msg, void *data);

/* Load PATH (a .profile file, or a directory: its *.profile files in name
 * order) into set. Returns the number of errors (0: loaded). */
int profile_load(struct profile_set *set, const char *path, profile_error_fn err, void *data);
/* Load from a buffer (fuzzing, tests): name is used in messages. */
int profile_load_buffer(struct profile_set *set, const char *name, const char *text, size_t len,
                        profile_error_fn err, void *data);
/* Whole-set checks: duplicate profile names, `profile` peers that name no
 * profile; with an inventory, containers selected by two profiles.
 * Returns the number of errors. */
int profile_check_set(const struct profile_set *set, const struct inventory *inv,
                      profile_error_fn err, void *data);
void profile_set_free(struct profile_set *set);
/* What `check`, `read` and `run` all do: load every path, then the whole-set
 * checks (with inv when given). Returns the number of errors. */
int profile_load_paths(struct profile_set *set, const char *const *paths, int npaths,
                       const struct inventory *inv, profile_error_fn err, void *data);
/* A profile_error_fn printing "cnetmon: FILE:LINE:COL: message" to stderr. */
void profile_error_stderr(const char *msg, void *data);

/* Which profiles select a container, without trying them all: profiles
 * are filed under the literal names and labels their match lines require.
 * set is borrowed. */
struct profile_selindex;
struct profile_selindex *profile_selindex_new(const struct profile_set *set);
void profile_selindex_free(struct profile_selindex *ix);
/* The first profile (file order) selecting c, -1 none. */
int profile_selindex_first(const struct profile_selindex *ix, const struct inv_container *c);
/* A profile's glob (fnmatch(3) without flags) against s: 1 when it matches. */
int profile_glob(const char *pattern, const char *s);
/* 1 when pattern has no glob character: it matches only itself. */
int profile_glob_is_literal(const char *pattern);
/* Does profile p select container c (DESIGN semantics, globs fnmatch(3)). */
struct inv_container;
int profile_selects(const struct profile *p, const struct inv_container *c);

/* ---- evaluation (profile-eval.c) ---------------------------------------
 * A profile set compiled for judging flows: profile peers resolved, the
 * profile of each container cached, "file:line" of every rule formatted
 * once. A flow is judged once, after its first packet (and again when
 * profiles are reloaded): the initiator's profile as egress, the
 * responder's as ingress, first matching rule or `default`; it is denied
 * when either side denies (DESIGN.md "Profiles"). */
struct attrib;
struct dns_cache;
struct profile_eval;

/* set, attrib (host addresses) and dns are borrowed and must outlive the
 * evaluator; attrib and dns may be NULL (and given later with
 * profile_eval_bind: compiling reads only the set, so it may run on another
 * thread while the inventory loads). strict: flows of an unprofiled
 * container are denied. NULL on allocation failure. */
struct profile_eval *profile_eval_new(const struct profile_set *set, const struct attrib *a,
                                      const struct dns_cache *dns, int strict);
void profile_eval_free(struct profile_eval *pe);
/* The inventory changed (containers may have gone, addresses moved), or
 * the evaluator was compiled without it: judge with a and dns from now on,
 * forgetting cached container -> profile answers. */
void profile_eval_bind(struct profile_eval *pe, const struct attrib *a,
                       const struct dns_cache *dns);
/* Fetch the rules f's judgement will read (a batch prefetches its flows'
 * rules, then judges them); the profiles found are kept in f->judged as a
 * hint for profile_eval_judge. */
void profile_eval_prefetch(struct profile_eval *pe, struct flow *f);
/* Does any rule name a dns peer (then passive DNS must be learned)? */
int profile_eval_uses_dns(const struct profile_eval *pe);
void profile_eval_judge(struct profile_eval *pe, const struct flow *f, uint64_t now_ns,
                        struct judgement *j);

/* Rules that never decide: an earlier rule of the same profile and
 * direction names the same peers, the same protocol (or any) and the same
 * ports (or none), so it matches first every flow they would. fn gets each
 * with the rule that covers it, in file order. (Directions of more than
 * 1,024 rules are not searched.) */
typedef void (*profile_covered_fn)(const struct rule *r, const struct rule *by, void *data);
void profile_eval_covered(const struct profile_eval *pe, profile_covered_fn fn, void *data);

/* For records: fills verdict, direction, profile, rule, reason, denied_by
 * and each container's profile name from j. The strings live as long as
 * the evaluator. */
struct record;
void profile_eval_describe(const struct profile_eval *pe, const struct judgement *j,
                           const struct flow *f, struct record *r);

#endif
