#!/bin/bash
# Harness self-test: a kernel WARNING during a test must fail it.
echo "1..1"
insmod "$SMOOTHFS_BUILD/selftest/$KVER/smoothfs_selftest_kwarn.ko" 2>/dev/null
echo "ok 1 - module load attempted"
