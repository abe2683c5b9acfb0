#!/bin/bash
# Harness self-test: a non-zero exit must fail even with all results ok.
echo "1..1"
echo "ok 1 - fine"
exit 3
