"""The subscriber side of bench/event_fanout.py: many SSE subscribers to one run in one process, on raw
non-blocking sockets and one epoll loop, with a parser that does per event only what the checks need
(regular expressions over whole received blocks, so most of the work happens in C).

Each subscriber sends `GET /v1/runs/{id}/events` (HTTP/1.1, `Accept: text/event-stream`), reads the
chunked response, and checks that the ids it receives are 1, 2, 3, … without gap or duplicate up to the
run's terminal event. For every `bench.tick` event emitted after the subscriber's stream was open, the
delivery latency is its receive time (right after `recv`) minus the `emit_us` the crew put in the
event (the same machine's wall clock); ticks emitted before that (replayed to a late subscriber) are
counted but not timed. Latencies go into a histogram of 0.1 ms buckets, so 20 million deliveries cost
a few kilobytes."""
import collections
import errno
import re
import resource
import select
import socket
import time

ID = re.compile(rb"^id: (\d+)$", re.M)
EMIT = re.compile(rb'"emit_us":(\d+)')
TERMINAL = re.compile(rb"^event: run\.(completed|failed|canceled)$", re.M)
BUCKET_US = 100  # histogram resolution: 0.1 ms

HEADERS, BODY, DONE, FAILED = range(4)
LATE = "still open at the deadline"  # a stream the server had not finished delivering in time (slow, not broken)


class Subscriber:
    __slots__ = ("index", "sock", "state", "inbuf", "chunk_left", "sse", "last_id", "events", "ticks_live",
                 "ticks_replayed", "gaps", "duplicates", "terminal", "connect_start_us", "open_us", "error")

    def __init__(self, index):
        self.index = index
        self.sock = None
        self.state = HEADERS
        self.inbuf = b""        # undecoded bytes (headers, or a chunk-size line cut by recv)
        self.chunk_left = 0     # bytes of the current HTTP chunk still to come
        self.sse = b""          # decoded SSE text not yet ending in a blank line
        self.last_id = 0
        self.events = 0
        self.ticks_live = 0
        self.ticks_replayed = 0
        self.gaps = 0           # events missing (sum of the holes' sizes)
        self.duplicates = 0     # events received again or out of order
        self.terminal = None
        self.connect_start_us = 0
        self.open_us = 0
        self.error = None


def run_subscribers(port, path, key, count, source_ips, max_pending, deadline, opened_queue, result_queue):
    """Opens `count` subscribers (at most `max_pending` connecting at once, round-robin over the loopback
    `source_ips`), puts how many streams opened on `opened_queue` once none is still connecting, follows
    them until every stream ended or `deadline` (epoch seconds), and puts the result dict on
    `result_queue`."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < count + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(count + 64, soft)), hard))
    request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n"
               f"Authorization: Bearer {key}\r\nCache-Control: no-cache\r\n\r\n").encode()
    cpu0, wall0 = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
    ep = select.epoll()
    subs = [Subscriber(i) for i in range(count)]
    by_fd = {}
    waiting = collections.deque(subs)
    pending = 0   # connecting or waiting for the response headers
    active = 0    # open, not yet ended
    hist = collections.Counter()
    connect_ms = []

    def close(sub, state, error=None):
        nonlocal pending, active
        if sub.state == HEADERS:
            pending -= 1
        else:
            active -= 1
        sub.state, sub.error = state, error
        by_fd.pop(sub.sock.fileno(), None)
        try:
            ep.unregister(sub.sock.fileno())
        except (OSError, ValueError):
            pass
        sub.sock.close()

    def open_more():
        nonlocal pending
        while waiting and pending < max_pending:
            sub = waiting.popleft()
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if len(source_ips) > 1:
                # The port is picked at connect time, per source address (IP_BIND_ADDRESS_NO_PORT).
                s.setsockopt(socket.IPPROTO_IP, getattr(socket, "IP_BIND_ADDRESS_NO_PORT", 24), 1)
                s.bind((source_ips[sub.index % len(source_ips)], 0))
            sub.sock = s
            sub.connect_start_us = time.time_ns() // 1000
            err = s.connect_ex(("127.0.0.1", port))
            pending += 1
            if err not in (0, errno.EINPROGRESS):
                by_fd[s.fileno()] = sub
                close(sub, FAILED, f"connect: {errno.errorcode.get(err, err)}")
                continue
            by_fd[s.fileno()] = sub
            ep.register(s.fileno(), select.EPOLLOUT)

    def body(sub, data, now_us):
        """HTTP chunked decoding, then whole SSE events."""
        buf = sub.inbuf + data if sub.inbuf else data
        sub.inbuf = b""
        pos, n, out = 0, len(buf), []
        while pos < n:
            if sub.chunk_left > 0:
                take = min(sub.chunk_left, n - pos)
                out.append(buf[pos:pos + take])
                pos += take
                sub.chunk_left -= take
                if sub.chunk_left == 0:
                    sub.chunk_left = -2  # the CRLF after the chunk's data
                continue
            if sub.chunk_left < 0:  # skipping the CRLF after a chunk
                skip = min(-sub.chunk_left, n - pos)
                pos += skip
                sub.chunk_left += skip
                continue
            eol = buf.find(b"\r\n", pos)
            if eol < 0:
                sub.inbuf = buf[pos:]
                break
            size = int(buf[pos:eol].split(b";", 1)[0], 16)
            pos = eol + 2
            if size == 0:  # the last chunk: the server ended the stream
                sse_events(sub, b"".join(out), now_us)
                return True
            sub.chunk_left = size
        if out:
            sse_events(sub, b"".join(out), now_us)
        return False

    def sse_events(sub, text, now_us):
        text = sub.sse + text if sub.sse else text
        end = text.rfind(b"\n\n")
        if end < 0:
            sub.sse = text
            return
        block, sub.sse = text[:end + 2], text[end + 2:]
        ids = ID.findall(block)
        if ids:
            got = list(map(int, ids))
            first = sub.last_id + 1
            if got != list(range(first, first + len(got))):
                for seq in got:
                    if seq <= sub.last_id:
                        sub.duplicates += 1
                        continue
                    sub.gaps += seq - sub.last_id - 1
                    sub.last_id = seq
            else:
                sub.last_id = got[-1]
            sub.events += len(got)
            ticks = EMIT.findall(block)
            if ticks:
                open_us = sub.open_us
                emitted = list(map(int, ticks))
                live = [(now_us - e) // BUCKET_US for e in emitted if e >= open_us]
                hist.update(live)
                sub.ticks_live += len(live)
                sub.ticks_replayed += len(emitted) - len(live)
            term = TERMINAL.search(block)
            if term:
                sub.terminal = term.group(1).decode()

    open_more()
    told_opened = False
    while (waiting or pending or active) and time.time() < deadline:
        if not told_opened and not waiting and not pending:
            opened_queue.put(len(connect_ms))
            told_opened = True
        for fd, mask in ep.poll(0.5):
            sub = by_fd.get(fd)
            if sub is None:
                continue
            if sub.state == HEADERS and mask & select.EPOLLOUT:
                err = sub.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    close(sub, FAILED, f"connect: {errno.errorcode.get(err, err)}")
                    continue
                sub.sock.send(request)  # small: fits the empty send buffer of a new connection
                ep.modify(fd, select.EPOLLIN)
                continue
            try:
                data = sub.sock.recv(262144)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError as e:
                close(sub, FAILED, f"recv: {e}")
                continue
            now_us = time.time_ns() // 1000
            if not data:
                close(sub, FAILED, "the server closed the connection before the end of the stream")
                continue
            if sub.state == HEADERS:
                sub.inbuf += data
                head_end = sub.inbuf.find(b"\r\n\r\n")
                if head_end < 0:
                    continue
                head, rest = sub.inbuf[:head_end], sub.inbuf[head_end + 4:]
                sub.inbuf = b""
                status = head.split(b" ", 2)[1] if b" " in head else b"?"
                if status != b"200" or b"chunked" not in head.lower():
                    close(sub, FAILED, "response: " + head.split(b"\r\n", 1)[0].decode(errors="replace"))
                    continue
                sub.state, sub.open_us = BODY, now_us
                pending -= 1
                active += 1
                connect_ms.append((now_us - sub.connect_start_us) / 1000)
                if not rest:
                    continue
                data = rest
            if body(sub, data, now_us):
                close(sub, DONE)
        if waiting:
            open_more()
    if not told_opened:
        opened_queue.put(len(connect_ms))
    for sub in subs:
        if sub.state in (HEADERS, BODY) and sub.sock is not None:
            close(sub, FAILED, LATE)
        elif sub.sock is None:
            sub.state, sub.error = FAILED, "never connected (deadline)"
    cpu1, wall1 = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
    result_queue.put({
        "subscribers": count,
        "streams_completed": sum(1 for s in subs if s.state == DONE),
        "connect_ms": connect_ms,
        "events": [s.events for s in subs],
        "last_ids": [s.last_id for s in subs],
        "terminals": collections.Counter(s.terminal for s in subs),
        "ticks_live": sum(s.ticks_live for s in subs),
        "ticks_replayed": sum(s.ticks_replayed for s in subs),
        "gaps": sum(s.gaps for s in subs),
        "duplicates": sum(s.duplicates for s in subs),
        "errors": collections.Counter(s.error for s in subs if s.error),
        "latency_hist": dict(hist),
        "cpu_s": round(cpu1.ru_utime - cpu0.ru_utime + cpu1.ru_stime - cpu0.ru_stime, 2),
        "wall_s": round(wall1 - wall0, 2),
    })
