#!/usr/bin/python3
"""Writers and their check for crash-storm.t.

  crash-writer.py write LOG K ACK   append records of writer K to LOG, each
      fsync'd; after each fsync the record's index goes to ACK (a file in
      the results export, which survives a hard stop of the guest)
  crash-writer.py check LOG K ACKED print what is wrong: LOG must hold
      writer K's records 0..ACKED (the fsync'd ones) intact, and after them
      a prefix of the rest of its stream (a torn last record allowed), in
      which a record that was never fsync'd may read as zeros: ext4 can
      commit a larger size with another file's fsync before the data of
      an append inside an allocated block reaches the disk
"""
import os
import sys

SIZE = 32


def rec(k, i):
    return ("w%d-%010d-" % (k, i)).ljust(SIZE - 1, ".").encode() + b"\n"


def intact(log, k):
    """How many records from the start of LOG are writer K's own."""
    try:
        with open(log, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return 0
    n = 0
    while data[n * SIZE:(n + 1) * SIZE] == rec(k, n):
        n += 1
    return n


def write(log, k, ack):
    # What an earlier stop left torn or zeroed after the last fsync'd
    # record goes, as a log's reader would drop it.
    n = intact(log, k)
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.ftruncate(fd, n * SIZE)
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
    zeros = 0
    for i in range(n):
        got = data[i * SIZE:(i + 1) * SIZE]
        if got != rec(k, i) and (i <= acked or got != bytes(SIZE)):
            print("record %d of %d is %r" % (i, n, got))
            return 1
        zeros += got != rec(k, i)
    tail = data[n * SIZE:]
    if not rec(k, n).startswith(tail) and tail != bytes(len(tail)):
        print("torn tail %r" % tail)
        return 1
    if n < acked + 1:
        print("%d records, %d were fsync'd" % (n, acked + 1))
        return 1
    print("%d records, %d fsync'd, %d not fsync'd read as zeros" % (n, acked + 1, zeros))
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        sys.exit(check(sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
