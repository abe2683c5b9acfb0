#!/usr/bin/python3
"""Data-path checks for tests/vm/t/datapath.t that need system calls the
shell cannot make: mmap, splice, sendfile, copy_file_range, file locks,
inotify, fanotify, unknown ioctls.  Each subcommand exits 0 on success and
prints what went wrong otherwise.

usage: datapath.py CMD ARGS...
"""
import ctypes
import errno
import fcntl
import mmap
import os
import struct
import sys
import time

PAGE = mmap.PAGESIZE


def fail(msg):
    print("datapath: " + msg)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def read_all(path):
    with open(path, "rb") as f:
        return f.read()


def cmd_mmap(path, lower):
    """write(2) -> mapping, mapping -> read(2) and the lower file, lower -> mapping."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
    os.ftruncate(fd, 4 * PAGE)
    m = mmap.mmap(fd, 4 * PAGE, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
    os.pwrite(fd, b"A" * PAGE, 0)
    check(m[0:PAGE] == b"A" * PAGE, "write() not seen through the mapping")
    m[PAGE:2 * PAGE] = b"B" * PAGE
    check(os.pread(fd, PAGE, PAGE) == b"B" * PAGE, "store to the mapping not seen by read()")
    m[2 * PAGE:2 * PAGE + 5] = b"hello"
    m.flush()                                   # msync(MS_SYNC)
    check(read_all(lower)[2 * PAGE:2 * PAGE + 5] == b"hello",
          "msync'd data not in the lower file")
    st, lst = os.stat(path), os.stat(lower)
    check(st.st_mtime_ns == lst.st_mtime_ns and st.st_size == lst.st_size,
          "smoothfs times/size differ from the lower's after msync")
    lfd = os.open(lower, os.O_WRONLY)
    os.pwrite(lfd, b"C" * PAGE, 3 * PAGE)
    os.close(lfd)
    check(m[3 * PAGE:4 * PAGE] == b"C" * PAGE, "a write on the tier not seen through the mapping")
    m.close()
    # A private mapping does not write through.
    m = mmap.mmap(fd, PAGE, mmap.MAP_PRIVATE, mmap.PROT_READ | mmap.PROT_WRITE)
    m[0:1] = b"Z"
    m.close()
    check(os.pread(fd, 1, 0) == b"A", "a MAP_PRIVATE store reached the file")
    os.close(fd)
    # Read-only open: a writable shared mapping is refused.
    fd = os.open(path, os.O_RDONLY)
    try:
        mmap.mmap(fd, PAGE, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        fail("writable shared mapping of a read-only file")
    except PermissionError:
        pass
    os.close(fd)


def cmd_splice(src, dst, dst2):
    """splice(2) file -> pipe -> file, and sendfile(2) file -> file."""
    data = read_all(src)
    fin = os.open(src, os.O_RDONLY)
    fout = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    r, w = os.pipe()
    done = 0
    while done < len(data):
        n = os.splice(fin, w, min(65536, len(data) - done))
        check(n > 0, "splice from the file returned %d" % n)
        left = n
        while left:
            left -= os.splice(r, fout, left)
        done += n
    os.close(fin)
    os.close(fout)
    check(read_all(dst) == data, "spliced copy differs")
    fin = os.open(src, os.O_RDONLY)
    fout = os.open(dst2, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    off = 0
    while off < len(data):
        n = os.sendfile(fout, fin, off, len(data) - off)
        check(n > 0, "sendfile returned %d" % n)
        off += n
    os.close(fin)
    os.close(fout)
    check(read_all(dst2) == data, "sendfile copy differs")


def cmd_copy_range(src, dst, want_errno=None):
    """copy_file_range(2) of all of src to dst; or expect an errno."""
    fin = os.open(src, os.O_RDONLY)
    fout = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    size = os.fstat(fin).st_size
    try:
        off = 0
        while off < size:
            n = os.copy_file_range(fin, fout, size - off, off, off)
            check(n > 0, "copy_file_range returned %d" % n)
            off += n
    except OSError as e:
        if want_errno and e.errno == getattr(errno, want_errno):
            return
        fail("copy_file_range: %s" % e)
    check(not want_errno, "copy_file_range worked, expected %s" % want_errno)
    check(read_all(dst) == read_all(src), "copy differs")


def cmd_locks(path):
    """POSIX, OFD and flock locks conflict between openers of the mount."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.lockf(fd, fcntl.LOCK_EX, 10, 0)
    pid = os.fork()
    if pid == 0:
        code = 0
        cfd = os.open(path, os.O_RDWR)
        try:
            fcntl.lockf(cfd, fcntl.LOCK_EX | fcntl.LOCK_NB, 10, 0)
            code = 10                           # should have conflicted
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.EACCES):
                code = 11
        # F_GETLK reports the holder.
        lk = struct.pack("hhqqi", fcntl.F_WRLCK, 0, 0, 10, 0)
        lk = fcntl.fcntl(cfd, fcntl.F_GETLK, lk)
        ltype, _, _, _, lpid = struct.unpack("hhqqi", lk)
        if ltype != fcntl.F_WRLCK or lpid != os.getppid():
            code = 12
        fcntl.lockf(cfd, fcntl.LOCK_EX | fcntl.LOCK_NB, 10, 20)  # disjoint range
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    check(os.waitstatus_to_exitcode(status) == 0,
          "POSIX lock: child status %d" % os.waitstatus_to_exitcode(status))
    fcntl.lockf(fd, fcntl.LOCK_UN, 10, 0)
    # OFD locks: two opens in one process conflict.
    a = os.open(path, os.O_RDWR)
    b = os.open(path, os.O_RDWR)
    lk = struct.pack("hhqqi", fcntl.F_WRLCK, 0, 0, 0, 0)
    fcntl.fcntl(a, fcntl.F_OFD_SETLK, lk)
    try:
        fcntl.fcntl(b, fcntl.F_OFD_SETLK, lk)
        fail("OFD lock did not conflict")
    except OSError as e:
        check(e.errno in (errno.EAGAIN, errno.EACCES), "OFD lock: %s" % e)
    os.close(a)
    fcntl.fcntl(b, fcntl.F_OFD_SETLK, lk)       # free once the holder closed
    os.close(b)
    # flock: exclusive against another open file description.
    a = os.open(path, os.O_RDONLY)
    b = os.open(path, os.O_RDONLY)
    fcntl.flock(a, fcntl.LOCK_EX)
    try:
        fcntl.flock(b, fcntl.LOCK_SH | fcntl.LOCK_NB)
        fail("flock did not conflict")
    except BlockingIOError:
        pass
    fcntl.flock(a, fcntl.LOCK_UN)
    fcntl.flock(b, fcntl.LOCK_SH | fcntl.LOCK_NB)
    os.close(a)
    os.close(b)
    os.close(fd)


IN_MODIFY, IN_CLOSE_WRITE, IN_MOVED_FROM, IN_MOVED_TO = 0x2, 0x8, 0x40, 0x80
IN_CREATE, IN_DELETE = 0x100, 0x200
IN_NAMES = {IN_MODIFY: "MODIFY", IN_CLOSE_WRITE: "CLOSE_WRITE", IN_MOVED_FROM: "MOVED_FROM",
            IN_MOVED_TO: "MOVED_TO", IN_CREATE: "CREATE", IN_DELETE: "DELETE"}


def cmd_inotify(directory):
    """Print the events of create, write, close, rename, unlink in DIR."""
    libc = ctypes.CDLL(None, use_errno=True)
    ifd = libc.inotify_init1(os.O_NONBLOCK)
    check(ifd >= 0, "inotify_init1")
    wd = libc.inotify_add_watch(ifd, directory.encode(), sum(IN_NAMES))
    check(wd >= 0, "inotify_add_watch: errno %d" % ctypes.get_errno())
    p = os.path.join(directory, "ino.txt")
    with open(p, "w") as f:
        f.write("x")
    try:
        os.rename(p, p + ".2")
        os.unlink(p + ".2")
    except OSError as e:                        # rename not there yet
        print("# rename: %s" % e.strerror, file=sys.stderr)
        os.unlink(p)
    time.sleep(0.1)
    buf = os.read(ifd, 65536)
    out = []
    while buf:
        _, mask, _, ln = struct.unpack("iIII", buf[:16])
        name = buf[16:16 + ln].rstrip(b"\0").decode()
        out.append("%s:%s" % ("|".join(v for k, v in IN_NAMES.items() if mask & k), name))
        buf = buf[16 + ln:]
    print(" ".join(out))


FAN_MODIFY, FAN_CLOSE_WRITE = 0x2, 0x8
FAN_MARK_ADD, FAN_MARK_MOUNT = 0x1, 0x10


def cmd_fanotify(mountpoint):
    """A mount mark sees a write through the mount, with the smoothfs path."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.fanotify_mark.argtypes = [ctypes.c_int, ctypes.c_uint, ctypes.c_uint64,
                                   ctypes.c_int, ctypes.c_char_p]
    ffd = libc.fanotify_init(0, os.O_RDONLY)
    check(ffd >= 0, "fanotify_init: errno %d" % ctypes.get_errno())
    rc = libc.fanotify_mark(ffd, FAN_MARK_ADD | FAN_MARK_MOUNT,
                            FAN_MODIFY | FAN_CLOSE_WRITE, -100, mountpoint.encode())
    check(rc == 0, "fanotify_mark: errno %d" % ctypes.get_errno())
    p = os.path.join(mountpoint, "fan.txt")
    with open(p, "w") as f:
        f.write("x")
    buf = os.read(ffd, 4096)
    seen = []
    while buf:
        ln, _, _, _, mask, fd, _ = struct.unpack("IBBHQii", buf[:24])
        seen.append((mask, os.readlink("/proc/self/fd/%d" % fd)))
        os.close(fd)
        buf = buf[ln:]
    os.unlink(p)
    check(any(m & FAN_MODIFY and path == p for m, path in seen), "no FAN_MODIFY for %s: %s" % (p, seen))
    check(any(m & FAN_CLOSE_WRITE and path == p for m, path in seen),
          "no FAN_CLOSE_WRITE for %s: %s" % (p, seen))


def cmd_ioctl_unknown(path):
    """An ioctl smoothfs does not pass on is ENOTTY (FS_IOC_GETVERSION)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.ioctl(fd, 0x80087601, b"\0" * 8)
        fail("FS_IOC_GETVERSION passed")
    except OSError as e:
        check(e.errno == errno.ENOTTY, "FS_IOC_GETVERSION: %s" % e)
    os.close(fd)


def cmd_nowait(path):
    """preadv2(RWF_NOWAIT) does not block: EOPNOTSUPP or data, never a hang."""
    fd = os.open(path, os.O_RDONLY)
    buf = bytearray(4096)
    try:
        os.preadv(fd, [buf], 0, os.RWF_NOWAIT)
    except OSError as e:
        check(e.errno in (errno.EOPNOTSUPP, errno.EAGAIN), "preadv2 NOWAIT: %s" % e)
    os.close(fd)


def setfl_direct(path):
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    flags = fcntl.fcntl(fd, fcntl.F_GETFL)
    try:
        fcntl.fcntl(fd, fcntl.F_SETFL, flags | os.O_DIRECT)
    except OSError as e:
        os.close(fd)
        return "setfl:" + errno.errorcode[e.errno]
    try:
        os.pwrite(fd, b"x" * 100, 1)
        res = "unaligned:ok"
    except OSError as e:
        res = "unaligned:" + errno.errorcode[e.errno]
    fcntl.fcntl(fd, fcntl.F_SETFL, flags)
    check(os.pwrite(fd, b"y" * 100, 1) == 100, "a buffered write after clearing O_DIRECT")
    os.close(fd)
    return res


def cmd_setfl_direct(path, lower_ref):
    """fcntl(F_SETFL, O_DIRECT) through the mount behaves as on the tier
    (the same file system, LOWER_REF): refused, or passed on to the lower
    file, where an unaligned write then fails if the tier enforces it."""
    want = setfl_direct(lower_ref)
    got = setfl_direct(path)
    check(got == want, "through the mount %s, on the tier %s" % (got, want))
    print("F_SETFL O_DIRECT: %s" % got)


CMDS = {"setfl-direct": cmd_setfl_direct, "mmap": cmd_mmap, "splice": cmd_splice, "copy-range": cmd_copy_range,
        "locks": cmd_locks, "inotify": cmd_inotify, "fanotify": cmd_fanotify,
        "ioctl-unknown": cmd_ioctl_unknown, "nowait": cmd_nowait}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in CMDS:
        fail("usage: datapath.py {%s} ARGS..." % ",".join(CMDS))
    CMDS[sys.argv[1]](*sys.argv[2:])
