#!/bin/bash
# Harness self-test: a well-formed passing test.
echo "1..2"
echo "ok 1 - first"
echo "ok 2 - second"
