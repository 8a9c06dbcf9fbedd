#!/usr/bin/python3
"""forward_receiver.py — a Fluentd Forward protocol v1 receiver for tests,
written from the specification (fluent/fluentd wiki "Forward Protocol
Specification v1") with python3-msgpack, independent of cnetmon's encoder.

usage: forward_receiver.py --out FILE [--port N] [--port-file FILE]
                           [--delay S] [--drop N] [--hold N] [--no-ack]

Accepts the four event modes: Message [tag, time, record, option?],
Forward [tag, [[time, record], ...], option?], PackedForward
[tag, bin|str, option?] and CompressedPackedForward (option compressed:
"gzip"). Times may be integers or EventTime (ext type 0: u32 seconds, u32
nanoseconds, big endian). When the option has "chunk", {"ack": chunk} is
sent back after the entries are written (and flushed) to FILE, one JSON line
per entry:
    {"tag": T, "time": [sec, nsec], "chunk": C, "record": {...}}

--delay S    listen only after S seconds (a collector that starts late)
--drop N     the first N messages that ask for an ack are read and thrown
             away, no ack, the connection closed (a batch lost in transit)
--hold N     the first N such messages are thrown away and the connection is
             kept open without an ack (the sender must time out)
--port-file  write the port listened on there (with --port 0)
--count-only PackedForward entries are counted from the size option, not
             decoded or written (for benchmarks)
Errors in what is received are fatal: exit status 3 with a message.
SIGTERM exits 0; the summary goes to stderr.
"""
import argparse
import gzip
import json
import os
import signal
import socket
import sys
import threading
import time

import msgpack

lock = threading.Lock()
COUNT_ONLY = False
counts = {"messages": 0, "entries": 0, "dropped": 0, "held": 0, "chunks": set(), "dup_chunks": 0}


def fail(msg):
    sys.stderr.write("forward_receiver: protocol error: %s\n" % msg)
    sys.stderr.flush()
    os._exit(3)


def ext_hook(code, data):
    if code == 0:
        if len(data) != 8:
            fail("EventTime of %d bytes" % len(data))
        return ("EventTime", int.from_bytes(data[:4], "big"), int.from_bytes(data[4:], "big"))
    return msgpack.ExtType(code, data)


def event_time(t):
    if isinstance(t, tuple) and t[0] == "EventTime":
        return [t[1], t[2]]
    if isinstance(t, int):
        return [t, 0]
    if isinstance(t, float):
        return [int(t), int((t - int(t)) * 1e9)]
    fail("bad time %r" % (t,))


def entries_of(msg):
    """(tag, [(time, record)], option) of one message, any mode."""
    if not isinstance(msg, (list, tuple)) or len(msg) < 2:
        fail("message is not an array of 2..4: %r" % (msg,))
    tag = msg[0]
    if not isinstance(tag, str):
        fail("tag is not a string: %r" % (tag,))
    second = msg[1]
    if isinstance(second, (bytes, str)):            # PackedForward
        option = msg[2] if len(msg) > 2 else {}
        if COUNT_ONLY and option and "size" in option:
            return tag, [None] * option["size"], option
        data = second.encode("utf-8", "surrogateescape") if isinstance(second, str) else second
        if option and option.get("compressed") == "gzip":
            data = gzip.decompress(data)
        elif option and option.get("compressed") not in (None, "text"):
            fail("unknown compression %r" % option.get("compressed"))
        up = msgpack.Unpacker(raw=False, ext_hook=ext_hook, strict_map_key=False)
        up.feed(data)
        ents = []
        for e in up:
            if not isinstance(e, (list, tuple)) or len(e) != 2 or not isinstance(e[1], dict):
                fail("PackedForward entry is not [time, record]: %r" % (e,))
            ents.append((event_time(e[0]), e[1]))
        if option and "size" in option and option["size"] != len(ents):
            fail("option size %r but %d entries" % (option["size"], len(ents)))
        return tag, ents, option or {}
    if isinstance(second, (list, tuple)):           # Forward
        option = msg[2] if len(msg) > 2 else {}
        return tag, [(event_time(e[0]), e[1]) for e in second], option or {}
    if len(msg) < 3:                                # Message
        fail("Message without a record")
    option = msg[3] if len(msg) > 3 else {}
    return tag, [(event_time(second), msg[2])], option or {}


def serve(conn, args, out):
    up = msgpack.Unpacker(raw=False, ext_hook=ext_hook, strict_map_key=False,
                          max_buffer_size=64 << 20)
    try:
        while True:
            data = conn.recv(1 << 16)
            if not data:
                return
            up.feed(data)
            for msg in up:
                tag, ents, option = entries_of(msg)
                chunk = option.get("chunk")
                with lock:
                    counts["messages"] += 1
                    if chunk is not None and counts["dropped"] < args.drop:
                        counts["dropped"] += 1
                        conn.close()
                        return
                    if chunk is not None and counts["held"] < args.hold:
                        counts["held"] += 1
                        continue
                    if chunk in counts["chunks"]:
                        counts["dup_chunks"] += 1
                    if chunk is not None:
                        counts["chunks"].add(chunk)
                    for ent in ents:
                        if ent is None:
                            continue
                        t, rec = ent
                        out.write(json.dumps({"tag": tag, "time": t, "chunk": chunk,
                                              "record": rec}, separators=(",", ":")) + "\n")
                    counts["entries"] += len(ents)
                    out.flush()
                if chunk is not None and not args.no_ack:
                    conn.sendall(msgpack.packb({"ack": chunk}))
    except (ConnectionResetError, BrokenPipeError, OSError):
        return
    finally:
        try:
            conn.close()
        except OSError:
            pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--out", required=True)
    ap.add_argument("--delay", type=float, default=0)
    ap.add_argument("--drop", type=int, default=0)
    ap.add_argument("--hold", type=int, default=0)
    ap.add_argument("--no-ack", action="store_true")
    ap.add_argument("--count-only", action="store_true")
    ap.add_argument("--heartbeat-file",
                    help="answer UDP heartbeats on the same port; count them into this file")
    args = ap.parse_args()
    global COUNT_ONLY
    COUNT_ONLY = args.count_only

    def bye(*_):
        with lock:
            sys.stderr.write("forward_receiver: %d messages, %d entries, %d dropped, %d held, "
                             "%d re-sent chunks\n" % (counts["messages"], counts["entries"],
                                                      counts["dropped"], counts["held"],
                                                      counts["dup_chunks"]))
            sys.stderr.flush()
            os._exit(0)
    signal.signal(signal.SIGTERM, bye)
    if args.delay:
        time.sleep(args.delay)
    out = open(args.out, "a", encoding="utf-8")
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", args.port))
    ls.listen(16)
    if args.heartbeat_file:
        # The spec's heartbeat: a UDP datagram to the same port, answered in kind.
        us = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        us.bind(("127.0.0.1", ls.getsockname()[1]))

        def heartbeats():
            n = 0
            while True:
                data, peer = us.recvfrom(64)
                if msgpack.unpackb(data) is None:
                    n += 1
                    us.sendto(msgpack.packb(None), peer)
                    with open(args.heartbeat_file, "w") as fh:
                        fh.write("%d\n" % n)
        threading.Thread(target=heartbeats, daemon=True).start()
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as fh:
            fh.write("%d\n" % ls.getsockname()[1])
        os.rename(args.port_file + ".tmp", args.port_file)
    while True:
        conn, _ = ls.accept()
        threading.Thread(target=serve, args=(conn, args, out), daemon=True).start()


if __name__ == "__main__":
    main()
