/* output.c — sink specs ("scheme:arg") to sink ops. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"

static const struct output_ops *const sinks[] = {
	&output_json_ops,
};

struct output *
output_open(const char *spec, char *err, size_t errlen)
{
	const char *colon = strchr(spec, ':');
	struct output *o;
	size_t i, n;

	if (!colon) {
		snprintf(err, errlen, "sink '%s': expected SCHEME:ARGUMENT, e.g. json:-", spec);
		return NULL;
	}
	n = (size_t)(colon - spec);
	for (i = 0; i < sizeof(sinks) / sizeof(sinks[0]); i++) {
		if (strlen(sinks[i]->scheme) != n || strncmp(spec, sinks[i]->scheme, n))
			continue;
		o = calloc(1, sizeof(*o));
		if (!o || !(o->spec = strdup(spec))) {
			free(o);
			snprintf(err, errlen, "out of memory");
			return NULL;
		}
		o->ops = sinks[i];
		if (o->ops->open(o, colon + 1, err, errlen) < 0) {
			free(o->spec);
			free(o);
			return NULL;
		}
		return o;
	}
	snprintf(err, errlen, "sink '%s': unknown kind '%.*s' (known: json)", spec, (int)n, spec);
	return NULL;
}

int
output_write(struct output *o, const struct record *r)
{
	int rc = o->ops->write(o, r);

	if (rc < 0)
		o->failed++;
	else
		o->written++;
	return rc;
}

int
output_flush(struct output *o)
{
	return o->ops->flush ? o->ops->flush(o) : 0;
}

int
output_reopen(struct output *o)
{
	return o->ops->reopen ? o->ops->reopen(o) : 0;
}

void
output_close(struct output *o)
{
	if (!o)
		return;
	o->ops->close(o);
	free(o->spec);
	free(o);
}

const char *
verdict_name(enum verdict v)
{
	switch (v) {
	case VERDICT_ALLOW: return "allow";
	case VERDICT_DENY:  return "deny";
	default:            return "unprofiled";
	}
}
