/* flow-int.h — shared by the flow-*.c files only. */
#ifndef CNETMON_FLOW_INT_H
#define CNETMON_FLOW_INT_H

#include "flow.h"

/* flow-tcp.c: the TCP state of a flow (handshake, FIN, RST, mid-stream). */
void flow_tcp_open(struct flow *f, const struct l34 *l, int sender);
void flow_tcp_update(struct flow *f, const struct l34 *l, int sender);
/* A SYN opening a new connection on the ports of a finished one. */
int flow_tcp_is_reuse(const struct flow *f, const struct l34 *l, int sender);

/* flow-frag.c: which ports a fragmented datagram's later fragments carry. */
struct frag_table;
struct frag_table *frag_table_new(uint32_t size);
void frag_table_free(struct frag_table *t);
void frag_remember(struct frag_table *t, const uint8_t key[16], const struct l34 *first,
                   uint64_t expires_ns);
int frag_lookup(struct frag_table *t, const uint8_t key[16], const struct l34 *later,
                uint64_t now_ns, uint16_t *sport, uint16_t *dport);

#endif
