"""The protocol channel and the crew's output.

``Channel.open()`` runs first thing, before any user code: it moves the process's original stdout
to a private descriptor (the protocol channel, closed on exec so no subprocess inherits it) and
points descriptors 1 and 2 at pipes of its own. A reader thread per pipe turns every line into a
``log`` event. Whatever the crew or its subprocesses write therefore reaches the server as log
events and can never break a protocol line.
"""
import fcntl
import os
import select
import sys
import termios
import threading

from crewship_runtime import messages

# Crew output lines longer than this many bytes are cut (docs/runtime-protocol.md).
MAX_LINE_BYTES = 16 * 1024
_READ_CHUNK = 64 * 1024

_current = None


def current():
    """The open channel of this process, or None outside the runtime (the crew run locally)."""
    return _current


class ProtocolWriter:
    """Writes protocol lines whole, one at a time, from any thread. After the final message, or once
    the reader is gone, it writes nothing more."""

    def __init__(self, fd):
        self._fd = fd
        self._lock = threading.Lock()
        self._open = True

    def forked(self):
        """In a forked child: a fresh lock, since the parent's may have been held at the fork."""
        self._lock = threading.Lock()

    def write(self, line, final=False):
        with self._lock:
            if not self._open:
                return
            try:
                view = memoryview(line)
                while view:
                    view = view[os.write(self._fd, view):]
            except OSError:
                # The executor stopped reading: nothing said from now on can reach it.
                self._open = False
                return
            if final:
                self._open = False


class OutputPump:
    """Reads one of the crew's output pipes and writes each line as a ``log`` event.

    Each read is counted under ``_counts`` together with the read itself, so ``drain()`` can tell
    exactly when every byte that was in the pipe at its call has become an event: that is what
    keeps a ``print()`` ahead of an ``sdk.emit()`` that follows it, and all output ahead of the
    final message. Locks are held briefly: a crew flooding its output must not starve the thread
    that waits to send an event or the result.
    """

    def __init__(self, fd, stream, writer):
        self._fd = fd
        self._stream = stream
        self._writer = writer
        self._pending = bytearray()  # the current line so far; guarded by _handling
        self._skipping = False  # the rest of a line that was cut
        self._stopped = False
        self._handling = threading.Lock()
        self._counts = threading.Condition(threading.Lock())
        self._read = 0
        self._handled = 0
        self._ended = False
        self._thread = threading.Thread(target=self._run, name=f"crewship-{stream}", daemon=True)

    def start(self):
        self._thread.start()

    def drain(self):
        """Returns once everything written to the pipe before this call is sent as events
        (a last line without newline stays pending)."""
        with self._counts:
            # Counted under the condition: the pump cannot read between the count and the target.
            try:
                waiting = _bytes_waiting(self._fd)
            except OSError:
                waiting = 0  # the crew closed the runtime's descriptor: nothing more can come
            target = self._read + waiting
            while self._handled < target and not self._ended:
                self._counts.wait()

    def finish(self):
        """Drains, sends a last line that has no newline, and ignores anything written later."""
        self.drain()
        with self._handling:
            if not self._stopped:
                self._send(self._last_line())
                self._stopped = True

    def _run(self):
        poller = select.poll()
        poller.register(self._fd, select.POLLIN)
        try:
            while True:
                poller.poll()
                with self._counts:
                    try:
                        chunk = os.read(self._fd, _READ_CHUNK)
                    except BlockingIOError:
                        continue
                    self._read += len(chunk)
                with self._handling:
                    if not self._stopped:
                        self._send(self._lines(chunk) if chunk else self._last_line())
                with self._counts:
                    self._handled += len(chunk)
                    self._counts.notify_all()
                if not chunk:
                    return
        finally:
            with self._counts:
                self._ended = True
                self._counts.notify_all()

    def _lines(self, chunk):
        """The lines ``chunk`` completes; the rest waits in ``_pending``."""
        lines = []
        start = 0
        while True:
            newline = chunk.find(b"\n", start)
            if newline < 0:
                if not self._skipping:
                    self._pending += chunk[start:]
                    if len(self._pending) > MAX_LINE_BYTES:
                        # Cut now rather than buffer an endless line.
                        lines.append(bytes(self._pending))
                        self._pending.clear()
                        self._skipping = True
                return lines
            if self._skipping:
                self._skipping = False
            else:
                self._pending += chunk[start:newline]
                if self._pending.endswith(b"\r"):
                    del self._pending[-1]
                lines.append(bytes(self._pending))
                self._pending.clear()
            start = newline + 1

    def _last_line(self):
        lines = [bytes(self._pending)] if self._pending and not self._skipping else []
        self._pending.clear()
        return lines

    def _send(self, lines):
        # One write for all the lines of a chunk: a flood of output costs few system calls.
        if lines:
            self._writer.write(b"".join(self._event(line) for line in lines))

    def _event(self, line):
        message = _utf8_prefix(line, MAX_LINE_BYTES).decode("utf-8", "replace")
        return messages.encode(messages.event("log", {"message": message, "stream": self._stream}))


class Channel:
    """The protocol channel of this process plus the pumps for its stdout and stderr."""

    def __init__(self, writer, pumps):
        self._writer = writer
        self._pumps = pumps
        self._in_forked_child = False

    @classmethod
    def open(cls, protocol_fd=None):
        """Swaps the descriptors (see the module doc). Call once, before importing user code.
        ``protocol_fd``: the protocol channel when it is not stdout (a warm run's socket)."""
        global _current
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        if protocol_fd is None:
            protocol_fd = os.dup(1)
        os.set_inheritable(protocol_fd, False)
        writer = ProtocolWriter(protocol_fd)
        pumps = []
        for fd, name in ((1, "stdout"), (2, "stderr")):
            read_end, write_end = os.pipe()
            os.dup2(write_end, fd)  # inheritable: subprocesses write here too
            os.close(write_end)
            os.set_blocking(read_end, False)
            pumps.append(OutputPump(read_end, name, writer))
        # Fresh text streams on the pipes (the old ones may believe they write to a seekable file):
        # line by line, so logs stream live even without PYTHONUNBUFFERED, and never failing on a character.
        sys.stdout = sys.__stdout__ = _text_stream(1)
        sys.stderr = sys.__stderr__ = _text_stream(2)
        for pump in pumps:
            pump.start()
        _current = cls(writer, pumps)
        os.register_at_fork(after_in_child=_current._forked)
        return _current

    def _forked(self):
        """In a child made by fork() (multiprocessing, say) only the calling thread lives on: the
        pump threads are the parent's, and a lock another thread held at the fork (the writer's,
        or sys.stdout's) stays held forever. The child still sends events, but neither flushes nor
        waits for pumps it does not have."""
        self._in_forked_child = True
        self._pumps = []
        self._writer.forked()

    def send(self, line):
        """Sends an event line after everything the crew wrote before this call."""
        self._drain()
        self._writer.write(line)

    def finish(self, line):
        """Sends the final message after all of the crew's output; nothing is sent after it.
        Output that processes the crew left running write later is dropped."""
        _flush_text_streams()
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.dup2(null, 2)
        os.close(null)
        for pump in self._pumps:
            pump.finish()
        self._writer.write(line, final=True)

    def _drain(self):
        if self._in_forked_child:
            return
        _flush_text_streams()
        for pump in self._pumps:
            pump.drain()


def _flush_text_streams():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass  # closed or replaced by the crew: nothing of ours is buffered there


def _text_stream(fd):
    return open(fd, "w", buffering=1, encoding="utf-8", errors="backslashreplace", closefd=False)


def _bytes_waiting(fd):
    return int.from_bytes(fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"), sys.byteorder)


def _utf8_prefix(raw, limit):
    """At most ``limit`` bytes of ``raw``, without splitting a UTF-8 character at the cut."""
    if len(raw) <= limit:
        return bytes(raw)
    cut = limit
    while cut > limit - 3 and (raw[cut] & 0xC0) == 0x80:
        cut -= 1
    if (raw[cut] & 0xC0) != 0xC0:
        cut = limit  # not a character split after all (invalid bytes): cut where the limit is
    return bytes(raw[:cut])
