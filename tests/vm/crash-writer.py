#!/usr/bin/python3
"""Writers and their check for crash-storm.t.

  crash-writer.py write LOG K ACK   append records of writer K to LOG, each
      fsync'd; after each fsync the record's index goes to ACK (a file in
      the results export, which survives a hard stop of the guest)
  crash-writer.py check LOG K ACKED print what is wrong: LOG must be a
      prefix of writer K's stream (a torn last record allowed) holding at
      least the records 0..ACKED
"""
import os
import sys

SIZE = 32


def rec(k, i):
    return ("w%d-%010d-" % (k, i)).ljust(SIZE - 1, ".").encode() + b"\n"


def write(log, k, ack):
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    n = os.fstat(fd).st_size // SIZE
    os.ftruncate(fd, n * SIZE)      # a torn record of an earlier stop
    os.fsync(fd)
    af = os.open(ack, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    i = n
    while True:
        os.write(fd, rec(k, i))
        os.fsync(fd)
        os.write(af, b"%d\n" % i)
        i += 1


def check(log, k, acked):
    with open(log, "rb") as f:
        data = f.read()
    n = len(data) // SIZE
    for i in range(n):
        if data[i * SIZE:(i + 1) * SIZE] != rec(k, i):
            print("record %d of %d is %r" % (i, n, data[i * SIZE:(i + 1) * SIZE]))
            return 1
    tail = data[n * SIZE:]
    if not rec(k, n).startswith(tail):
        print("torn tail %r" % tail)
        return 1
    if n < acked + 1:
        print("%d records, %d were fsync'd" % (n, acked + 1))
        return 1
    print("%d records, %d fsync'd" % (n, acked + 1))
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        sys.exit(check(sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
