#!/usr/bin/python3
'''fsx-style random operations with verification, for soak.t:

    soak-worker.py DIR SECONDS SEED SUMS

Keeps a model of every file in DIR (its own directory) and, until SECONDS
have passed, writes at random offsets, extends, truncates, reads back and
compares (read and mmap), fsyncs, renames, deletes and recreates, and
appends through a descriptor held open the whole time.  Any difference
between a file and its model is printed and ends the run with status 1.
At the end every file is compared once more and "name md5" lines go to
SUMS, for a check after the pool is mounted again.  Prints one line of
counts.'''

import hashlib
import mmap
import os
import random
import sys
import time


def main():
    d, seconds, seed, sums = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    rng = random.Random(seed)
    os.makedirs(d, exist_ok=True)
    model = {}
    serial = 0

    def new_name():
        nonlocal serial
        serial += 1
        return 'f%d' % serial

    for _ in range(6):
        name = new_name()
        open(os.path.join(d, name), 'wb').close()
        model[name] = bytearray()
    log_name = 'log'
    log_fd = os.open(os.path.join(d, log_name), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    model[log_name] = bytearray()
    counts = {}

    def fail(what):
        print('MISMATCH %s: %s' % (d, what), flush=True)
        sys.exit(1)

    def verify(name, data=None):
        path = os.path.join(d, name)
        if data is None:
            with open(path, 'rb') as f:
                data = f.read()
        if data != bytes(model[name]):
            first = next((i for i in range(min(len(data), len(model[name])))
                          if data[i] != model[name][i]), min(len(data), len(model[name])))
            fail('%s: %d bytes, model %d, first difference at %d'
                 % (name, len(data), len(model[name]), first))

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        op = rng.choice(['write', 'write', 'write', 'extend', 'truncate', 'read', 'read',
                         'mmap', 'fsync', 'rename', 'recreate', 'append', 'append'])
        counts[op] = counts.get(op, 0) + 1
        names = [n for n in model if n != log_name]
        name = rng.choice(names)
        path = os.path.join(d, name)
        m = model[name]
        if op in ('write', 'extend'):
            off = rng.randint(0, len(m)) if op == 'write' else len(m) + rng.randint(0, 65536)
            buf = os.urandom(rng.randint(1, 65536))
            fd = os.open(path, os.O_WRONLY)
            try:
                if os.pwrite(fd, buf, off) != len(buf):
                    fail('%s: short write' % name)
            finally:
                os.close(fd)
            if off > len(m):
                m.extend(bytes(off - len(m)))
            m[off:off + len(buf)] = buf
        elif op == 'truncate':
            size = rng.randint(0, len(m) + 32768)
            os.truncate(path, size)
            if size < len(m):
                del m[size:]
            else:
                m.extend(bytes(size - len(m)))
        elif op == 'read':
            verify(name)
        elif op == 'mmap':
            if m:
                with open(path, 'rb') as f, mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ) as mm:
                    verify(name, mm[:])
        elif op == 'fsync':
            fd = os.open(path, os.O_RDONLY)
            os.fsync(fd)
            os.close(fd)
        elif op == 'rename':
            new = new_name()
            os.rename(path, os.path.join(d, new))
            model[new] = model.pop(name)
        elif op == 'recreate':
            os.unlink(path)
            del model[name]
            new = new_name()
            open(os.path.join(d, new), 'wb').close()
            model[new] = bytearray()
        elif op == 'append':
            buf = os.urandom(rng.randint(1, 4096))
            os.write(log_fd, buf)
            model[log_name].extend(buf)
            if rng.random() < 0.1:
                verify(log_name)
    os.fsync(log_fd)
    os.close(log_fd)
    with open(sums, 'w') as out:
        for name in sorted(model):
            verify(name)
            out.write('%s %s\n' % (name, hashlib.md5(bytes(model[name])).hexdigest()))
    print('%s: %s' % (d, ' '.join('%s=%d' % kv for kv in sorted(counts.items()))), flush=True)


if __name__ == '__main__':
    main()
