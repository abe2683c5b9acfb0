#!/bin/bash
# Harness self-test: a failed result must fail.
echo "1..2"
echo "ok 1 - fine"
echo "not ok 2 - broken"
