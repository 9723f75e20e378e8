"""``python -m crewship_runtime.warm ENTRYPOINT RUNS_DIR TMP_BYTES``: a warm parent (docs/runtime-protocol.md,
"Warm starts").

It imports the deployment's crew (and with it CrewAI) once, then forks one child per run, ahead
of time: a spare child, with its namespaces and its pid 1 already made, waits for the next run
(:class:`_Spare`). Each child gets a mount and a pid namespace of its own, its own folder bound on
/app/artifacts, the folder of all runs hidden, private /tmp and /dev/shm, its own /proc, and no
capabilities; then it runs exactly as ``python -m crewship_runtime`` does, speaking the protocol
over a Unix socket the executor made for that run.

The parent itself never runs a crew: every child starts from the state right after the import, so
nothing of one run reaches another.

Control channel: JSON lines, ``{"v": 1, "kind": …}``. On stdin from the executor: ``run``
(``run_id``, ``dir``: the run's folder under RUNS_DIR) and ``kill`` (``run_id``); end of input stops
the parent and its children. On stdout to the executor: ``ready`` (``import_ms``, ``prebuild``,
``preload``) or ``failed`` (``error``) once, then ``exited`` (``run_id``, ``exit_code`` or
``signal``) for every run.
"""
import gc
import io
import json
import os
import selectors
import signal
import socket
import sys
import time
import traceback

from crewship_runtime import crewai_preload, isolation, messages, runner
from crewship_runtime.channel import Channel
from crewship_runtime.errors import describe
from crewship_runtime.loader import load, prebuild, prepare_path, restore_prebuilt_files

SOCKET_NAME = "protocol.sock"
ARTIFACTS_NAME = "artifacts"
APP_ARTIFACTS = "/app/artifacts"
_EXIT_RUNTIME_BROKE = 70


def main(argv):
    entrypoint, runs_dir, tmp_bytes = argv[1], argv[2], int(argv[3])
    control = os.dup(1)
    os.set_inheritable(control, False)
    os.dup2(2, 1)  # what the crew prints while it is imported goes to the parent's stderr
    started = time.monotonic()
    try:
        runner.prepare_environment()
        app_dir = os.environ.get("CREWSHIP_APP_DIR", "/app")
        prepare_path(app_dir)
        load(entrypoint, app_dir)
        prebuilt = prebuild(entrypoint, app_dir)
        preloaded = crewai_preload.preload()
    except BaseException as exc:  # the cold start reports it properly; the executor falls back to one
        _send(control, {"kind": "failed", "error": describe(exc)})
        os._exit(1)
    for stream in (sys.stdout, sys.stderr):
        stream.flush()  # or every child would print what the import left in the buffers once more
    # Objects that exist now are never freed: keeping the collector off them keeps their pages shared with the children.
    gc.collect()
    gc.freeze()
    _send(control, {"kind": "ready", "import_ms": round((time.monotonic() - started) * 1000, 1), "prebuild": prebuilt,
                    "preload": preloaded})
    _serve(control, runs_dir, tmp_bytes)


def _serve(control, runs_dir, tmp_bytes):
    selector = selectors.DefaultSelector()
    selector.register(0, selectors.EVENT_READ, None)
    children = {}  # run_id -> (pid, pidfd)
    spares = _SpareSlot(lambda: _Spare.fork(control, runs_dir, tmp_bytes, selector, children))
    pending = b""
    while True:
        for key, _ in selector.select(spares.timeout()):
            if key.data is None:
                chunk = os.read(0, 65536)
                if not chunk:
                    for pid in [*(pid for pid, _ in children.values()), *spares.pids()]:
                        _kill(pid)
                    os._exit(0)
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    if line.strip():
                        _command(json.loads(line), selector, children, spares)
            elif key.data is _Spare:  # it died before it got a run (killed from outside, say): a new one
                spares.replace_dead(selector)
            else:
                run_id = key.data
                pid, pidfd = children.pop(run_id)
                selector.unregister(pidfd)
                os.close(pidfd)
                _, status = os.waitpid(pid, 0)
                exited = {"kind": "exited", "run_id": run_id, "exit_code": None, "signal": None}
                if os.WIFSIGNALED(status):
                    exited["signal"] = os.WTERMSIG(status)
                else:
                    exited["exit_code"] = os.waitstatus_to_exitcode(status)
                _send(control, exited)
                spares.make()  # a run ended: nothing starting competes with making the next spare now
        spares.make_when_due()


def _command(command, selector, children, spares):
    kind = command.get("kind")
    run_id = command.get("run_id")
    if kind == "run" and run_id not in children:
        spare = spares.take()
        if not spare.give(command["dir"]):  # it died meanwhile: a fresh one takes the run
            spare.reap(selector)
            spare = spares.new()
            spare.give(command["dir"])
        selector.modify(spare.pidfd, selectors.EVENT_READ, run_id)
        children[run_id] = (spare.pid, spare.pidfd)
    elif kind == "kill" and run_id in children:
        _kill(children[run_id][0])


class _SpareSlot:
    """The spare ready for the next run. Making one takes two forks of a parent that imported CrewAI
    (tens of milliseconds of CPU): made right after a run took the last one, it would compete for
    the CPU with that run's start, the very time a warm start is meant to save. So the next spare is made
    ``REPLACE_AFTER_SECONDS`` after a run took one, or as soon as a run ends, whichever is first;
    a run asked for before that gets one made on the spot, as it would without spares."""

    REPLACE_AFTER_SECONDS = 0.3

    def __init__(self, new):
        self.new = new  # () -> _Spare
        self._spare = new()
        self._due = None  # when to make the next spare while there is none

    def take(self):
        """The spare for a run asked for now (made now when there is none)."""
        spare, self._spare = self._spare or self.new(), None
        self._due = time.monotonic() + self.REPLACE_AFTER_SECONDS
        return spare

    def timeout(self):
        """How long the parent may wait for input before the next spare is due (None: not due)."""
        return None if self._spare is not None else max(0.0, self._due - time.monotonic())

    def make(self):
        if self._spare is None:
            self._spare = self.new()

    def make_when_due(self):
        if self._spare is None and time.monotonic() >= self._due:
            self._spare = self.new()

    def replace_dead(self, selector):
        self._spare.reap(selector)
        self._spare = self.new()

    def pids(self):
        return [] if self._spare is None else [self._spare.pid]


class _Spare:
    """A run's supervisor forked before its run, with the run's pid 1 beside it: the forks and the
    namespace set-up (tens of milliseconds for a parent that imported CrewAI) are done before the
    run is asked for. Until :meth:`give` it holds nothing of any run."""

    def __init__(self, pid, pidfd, assign):
        self.pid = pid
        self.pidfd = pidfd
        self._assign = assign  # write end of the pipe that tells it its run's folder

    @classmethod
    def fork(cls, control, runs_dir, tmp_bytes, selector, children):
        assign_read, assign_write = os.pipe()
        pid = os.fork()
        if pid == 0:
            # Nothing of the parent's bookkeeping reaches the run: no pidfd of another run, no control channel.
            os.close(assign_write)
            for _, sibling_pidfd in children.values():
                os.close(sibling_pidfd)
            selector.close()
            _child(assign_read, runs_dir, tmp_bytes, control)
        os.close(assign_read)
        pidfd = os.pidfd_open(pid)
        selector.register(pidfd, selectors.EVENT_READ, cls)
        return cls(pid, pidfd, assign_write)

    def give(self, run_dir):
        """Hands it its run; False when it is gone."""
        try:
            os.write(self._assign, run_dir.encode("utf-8") + b"\n")
            return True
        except BrokenPipeError:
            return False
        finally:
            os.close(self._assign)

    def reap(self, selector):
        selector.unregister(self.pidfd)
        os.close(self.pidfd)
        _kill(self.pid)
        os.waitpid(self.pid, 0)


def _kill(pid):
    try:
        os.kill(pid, signal.SIGKILL)  # its child, the run's pid 1, dies with it, and the namespace with that
    except ProcessLookupError:
        pass


def _child(assign, runs_dir, tmp_bytes, control):
    """The run's supervisor: builds the run's namespaces and starts the run's pid 1, then waits for
    the parent to name its run (a line on ``assign``); then makes the run's mounts, hands the run its
    connection, waits for it and ends the same way it did. Never returns."""
    try:
        os.close(control)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        isolation.unshare_mounts_and_pids()
        isolation.make_mounts_private()
        # The run's own empty /tmp and /dev/shm, mounted now: they hold nothing of any run until it starts.
        isolation.tmpfs("/tmp", tmp_bytes)
        isolation.tmpfs("/dev/shm", tmp_bytes)
        handover, run_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        alive_read, alive_write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(alive_write)
            os.close(assign)
            handover.close()
            _run(run_end, alive_read)
        os.close(alive_read)
        run_end.close()
        line = _read_line(assign)
        if not line:
            os._exit(0)  # the parent is stopping: no run for this spare (its pid 1 dies with it)
        run_dir = os.path.join(runs_dir, line)
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        connection.connect(os.path.join(run_dir, SOCKET_NAME))
        isolation.bind(os.path.join(run_dir, ARTIFACTS_NAME), APP_ARTIFACTS)
        isolation.tmpfs(runs_dir, 0, read_only=True)  # hides the folders of all runs, this one's included
        socket.send_fds(handover, [b"r"], [connection.fileno()])  # the run goes on only now: its mounts are in place
        connection.close()
        handover.close()
        _, status = os.waitpid(pid, 0)
        if os.WIFSIGNALED(status):
            signal.signal(os.WTERMSIG(status), signal.SIG_DFL)
            os.kill(os.getpid(), os.WTERMSIG(status))
        os._exit(os.waitstatus_to_exitcode(status))
    except BaseException:
        os.write(2, ("crewship_runtime.warm: a run could not be started: " + traceback.format_exc()).encode("utf-8", "replace"))
        os._exit(_EXIT_RUNTIME_BROKE)


def _run(handover, alive):
    """The run itself, pid 1 of its namespace. Never returns."""
    diagnostics = 2  # the parent's stderr, for the runtime's own last words (the crew's output becomes log events)
    try:
        isolation.die_with_parent(signal.SIGKILL)
        os.set_blocking(alive, False)
        try:
            if os.read(alive, 1) == b"":
                os._exit(_EXIT_RUNTIME_BROKE)  # the supervisor died before the line above took effect
        except BlockingIOError:
            pass  # the supervisor is alive: from now on its death kills this process
        os.close(alive)
        isolation.mount_proc()
        isolation.drop_all_capabilities()
        # What every run does first and that needs nothing of the run, done while the spare waits:
        # its fresh /tmp and /dev/shm get the prebuilt crew's files, the channel its pipes and pump
        # threads (writing to a stand-in that the run's connection replaces; nothing is written
        # before), and CrewAI's event bus its threads.
        diagnostics = os.dup(2)
        restore_prebuilt_files()
        os.chdir(os.environ.get("CREWSHIP_APP_DIR", "/app"))
        protocol_fd = os.open(os.devnull, os.O_WRONLY)
        channel = Channel.open(protocol_fd=protocol_fd)
        crewai_preload.start_event_bus()
        # Waits for its run: the supervisor sends the run's connection once the run's mounts are made.
        _, fds, _, _ = socket.recv_fds(handover, 1, 1)
        handover.close()
        if not fds:
            os._exit(_EXIT_RUNTIME_BROKE)
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM, fileno=fds[0])
        raw = _read_all(connection)
        environment = _environment(raw)
        os.environ.clear()
        os.environ.update(environment)
        os.dup2(connection.fileno(), protocol_fd, inheritable=False)
        connection.close()
    except BaseException:
        os.write(diagnostics, ("crewship_runtime.warm: a run could not be started: " + traceback.format_exc()).encode("utf-8", "replace"))
        os._exit(_EXIT_RUNTIME_BROKE)
    try:
        line, exit_code = runner.run(io.BytesIO(raw))
        channel.finish(line)
    except BaseException:
        os.write(diagnostics, ("crewship_runtime failed: " + traceback.format_exc()).encode("utf-8", "replace"))
        exit_code = _EXIT_RUNTIME_BROKE
    os._exit(exit_code)


def _read_line(fd):
    """One line from ``fd`` without its newline; empty at end of input."""
    data = b""
    while not data.endswith(b"\n"):
        chunk = os.read(fd, 4096)
        if not chunk:
            return ""
        data += chunk
    return data[:-1].decode("utf-8")


def _read_all(connection):
    chunks = []
    while True:
        chunk = connection.recv(65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _environment(raw):
    """The run's environment from the spec's ``env`` (warm runs only); a malformed spec gets an empty
    one here and is reported by the runner."""
    try:
        document = json.loads(raw)
        env = document.get("env") if isinstance(document, dict) else None
    except ValueError:
        return {}
    if not isinstance(env, dict):
        return {}
    return {str(k): str(v) for k, v in env.items()}


def _send(control, message):
    os.write(control, messages.encode({"v": messages.PROTOCOL_VERSION, **message}))


if __name__ == "__main__":
    main(sys.argv)
