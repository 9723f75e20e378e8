"""Linux namespaces, mounts and capabilities for the children of a warm parent (docs/runtime-protocol.md,
"Warm starts"), through the C library: Python's standard library has no mount() or capset().

Each function raises OSError naming the step that failed.
"""
import ctypes
import os

CLONE_NEWNS = 0x00020000
CLONE_NEWPID = 0x20000000
MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
PR_SET_PDEATHSIG = 1
PR_CAPBSET_DROP = 24
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
_LINUX_CAPABILITY_VERSION_3 = 0x20080522
_LAST_CAP_FILE = "/proc/sys/kernel/cap_last_cap"

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result, step):
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{step}: {os.strerror(errno)}")


def unshare_mounts_and_pids():
    """A new mount namespace now and a new pid namespace for the next child (which becomes its pid 1)."""
    _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWPID), "unshare(mount, pid)")


def make_mounts_private():
    """Mounts made from now on stay in this namespace."""
    _check(_libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "making / private")


def bind(source, target):
    _check(_libc.mount(os.fsencode(source), os.fsencode(target), None, MS_BIND, None), f"binding {source} on {target}")


def tmpfs(target, size_bytes, read_only=False):
    flags = MS_NOSUID | MS_NODEV | (MS_RDONLY if read_only else 0)
    options = f"size={max(4096, size_bytes)},mode=1777".encode()
    _check(_libc.mount(b"tmpfs", os.fsencode(target), b"tmpfs", flags, options), f"mounting a tmpfs on {target}")


def mount_proc():
    """A /proc of the current pid namespace: the run sees its own processes only."""
    _check(_libc.mount(b"proc", b"/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None), "mounting /proc")


def die_with_parent(signal_number):
    _check(_libc.prctl(PR_SET_PDEATHSIG, signal_number, 0, 0, 0), "prctl(PR_SET_PDEATHSIG)")


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def drop_all_capabilities():
    """Drops every capability for good (bounding set, ambient, effective, permitted, inheritable):
    the crew cannot undo the mounts that hide other runs. The sandbox already set no_new_privs."""
    with open(_LAST_CAP_FILE) as f:
        last = int(f.read())
    for cap in range(last + 1):
        _check(_libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0), f"dropping capability {cap} from the bounding set")
    _check(_libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "clearing ambient capabilities")
    header = _CapHeader(_LINUX_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    _check(_libc.capset(ctypes.byref(header), data), "capset")
