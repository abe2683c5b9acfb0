#!/bin/bash
# Harness self-test: results without a plan must fail.
echo "ok 1 - looks fine"
