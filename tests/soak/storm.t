#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The login storm of t53 at twice its figures: 400 logins from 40 users at once against a
# 128-address pool, settled within 300 s (tests/e2e/t53-storm.t, which `make check` runs at
# 200 / 20 / 64). Root; run under the e2e lock: flock /tmp/nsbox-e2e.lock make soak
export STORM_LOGINS=${STORM_LOGINS:-400} STORM_USERS=${STORM_USERS:-40} STORM_POOL=${STORM_POOL:-128}
export STORM_BOUND=${STORM_BOUND:-300}
exec "$(dirname "$0")/../e2e/t53-storm.t" "$@"
