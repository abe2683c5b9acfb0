#!/usr/bin/python3
"""Write seed inputs for fuzz-event: one well-formed netlink message per
event type, as the kernel sends them.  Run from the source tree; the
output is committed under tests/fuzz/corpus/fuzz-event/."""
import os
import struct
import uuid

# Values from include/uapi/linux/smoothfs.h.
POOL_UUID, POOL_NAME, FSID, TIER_RANK, TIER_CAPS, TIER_PATH = 1, 2, 3, 4, 5, 6
OBJECT_ID, MOVEMENT_STATE, CURRENT_TIER, INTENDED_TIER, TRANSACTION_SEQ = 8, 10, 11, 12, 13
HEAT_SAMPLE_BLOB, TIERS, SIZE_BYTES, ANY_SPILL = 15, 18, 21, 22
EV_MOUNT_READY, EV_HEAT, EV_MOVE_STATE, EV_TIER_FAULT, EV_SPILL, EV_UNMOUNTED = 9, 10, 11, 12, 15, 18
NLA_F_NESTED = 1 << 15


def attr(kind, payload):
    hdr = struct.pack("<HH", 4 + len(payload), kind)
    return hdr + payload + b"\0" * (-len(payload) % 4)


def msg(cmd, attrs):
    body = struct.pack("<BBH", cmd, 1, 0) + b"".join(attrs)
    return struct.pack("<IHHII", 16 + len(body), 0x20, 0, 0, 0) + body


pool = uuid.UUID("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b").bytes
oid = uuid.UUID("0190a1b2-0000-7000-8000-000000000001").bytes
common = [attr(POOL_UUID, pool), attr(POOL_NAME, b"tank\0"), attr(FSID, struct.pack("<I", 7)),
          attr(ANY_SPILL, b"\0")]
tiers = attr(TIERS | NLA_F_NESTED, b"".join(
    attr((i + 1) | NLA_F_NESTED, attr(TIER_RANK, bytes([i])) + attr(TIER_CAPS, struct.pack("<I", 3))
         + attr(TIER_PATH, p.encode() + b"\0"))
    for i, p in enumerate(["/srv/nvme", "/srv/hdd"])))
record = oid + struct.pack("<IIQQQQ", 3, 0, 4096, 8192, 1700000000000000000, 5000000000)

seeds = {
    "mount-ready": msg(EV_MOUNT_READY, common + [tiers]),
    "heat-sample": msg(EV_HEAT, [attr(POOL_UUID, pool), attr(HEAT_SAMPLE_BLOB, record * 2)]),
    "move-state": msg(EV_MOVE_STATE, [attr(POOL_UUID, pool), attr(OBJECT_ID, oid),
                                      attr(MOVEMENT_STATE, b"\7"),
                                      attr(TRANSACTION_SEQ, struct.pack("<Q", 42))]),
    "tier-fault": msg(EV_TIER_FAULT, common + [attr(TIER_RANK, b"\1")]),
    "spill": msg(EV_SPILL, [attr(POOL_UUID, pool), attr(ANY_SPILL, b"\1"), attr(OBJECT_ID, oid),
                            attr(CURRENT_TIER, b"\0"), attr(INTENDED_TIER, b"\1"),
                            attr(SIZE_BYTES, struct.pack("<Q", 1 << 20))]),
    "pool-unmounted": msg(EV_UNMOUNTED, [attr(POOL_UUID, pool), attr(POOL_NAME, b"tank\0")]),
}
out = "tests/fuzz/corpus/fuzz-event"
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)

out = "tests/fuzz/corpus/fuzz-unit-name"
os.makedirs(out, exist_ok=True)
for i, p in enumerate(["/mnt/smoothfs/tank", "/", "/srv/a b/.c", "/mnt/x-y\\z", "//a/./b/"]):
    with open(os.path.join(out, f"path{i}"), "wb") as f:
        f.write(p.encode())
