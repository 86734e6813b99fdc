#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Fault injection, long form (make soak): tests/e2e/t80-faults.t at every occurrence of every
# enumerated syscall (FW_STEP=1), loopback and bridged, an error and a SIGKILL each.
exec env FW_STEP=1 "$(dirname "$0")/../e2e/t80-faults.t" "$@"
