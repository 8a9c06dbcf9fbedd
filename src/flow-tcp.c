/* flow-tcp.c — per-flow TCP state from the flags seen (RFC 9293 section
 * 3.5/3.6), observed from the middle: we never see both ends' state, only
 * the segments, so the machine is forgiving about order and loss.
 *
 * The initiator is the sender of the first SYN. A flow whose first segment
 * is a SYN-ACK was opened by its receiver. Any other first segment means we
 * joined mid-stream: the side with the lower port is taken as the server. */
#include "flow-int.h"

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10

void
flow_tcp_open(struct flow *f, const struct l34 *l, int sender)
{
	uint8_t fl = l->tcp_flags;

	if (l->proto != 6) {
		f->tcp_state = TCP_NONE;
		return;
	}
	if ((fl & (TH_SYN | TH_ACK | TH_RST)) == TH_SYN) {
		f->tcp_state = TCP_SYN_SENT;
		f->init_side = (uint8_t)sender;
		return;
	}
	if ((fl & (TH_SYN | TH_ACK | TH_RST)) == (TH_SYN | TH_ACK)) {
		f->tcp_state = TCP_SYN_RECEIVED;
		f->init_side = (uint8_t)!sender;
		return;
	}
	f->midstream = 1;
	f->tcp_state = TCP_ESTABLISHED;
	if (f->key.port[0] != f->key.port[1])
		f->init_side = f->key.port[0] < f->key.port[1] ? 1 : 0;
	else
		f->init_side = (uint8_t)sender;
}

void
flow_tcp_update(struct flow *f, const struct l34 *l, int sender)
{
	uint8_t fl = l->tcp_flags;

	f->tcp_flags[sender] |= fl;
	if (fl & TH_RST) {
		f->tcp_state = TCP_RESET;
		return;
	}
	if (f->tcp_state == TCP_RESET)
		return;
	if (fl & TH_FIN) {
		f->fin_sides |= (uint8_t)(1u << sender);
		f->tcp_state = f->fin_sides == 3 ? TCP_CLOSED : TCP_CLOSING;
		return;
	}
	switch (f->tcp_state) {
	case TCP_SYN_SENT:
		if ((fl & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK) && sender != f->init_side)
			f->tcp_state = TCP_SYN_RECEIVED;
		break;
	case TCP_SYN_RECEIVED:
		if ((fl & (TH_SYN | TH_ACK)) == TH_ACK && sender == f->init_side)
			f->tcp_state = TCP_ESTABLISHED;
		break;
	default:
		break;
	}
}

int
flow_tcp_is_reuse(const struct flow *f, const struct l34 *l, int sender)
{
	(void)sender;
	return l->proto == 6 &&
	    (f->tcp_state == TCP_CLOSED || f->tcp_state == TCP_RESET) &&
	    (l->tcp_flags & (TH_SYN | TH_ACK | TH_RST)) == TH_SYN;
}
