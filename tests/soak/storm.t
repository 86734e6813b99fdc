#!/bin/bash
# The long login storm of issue 9: 200 logins from 20 users at once against a 64-address pool,
# settled within 300 s (tests/e2e/t53-storm.t, whose short form runs in `make check`). Root; run
# under the e2e lock: flock /tmp/nsbox-e2e.lock make soak
export STORM_LOGINS=${STORM_LOGINS:-200} STORM_USERS=${STORM_USERS:-20} STORM_POOL=${STORM_POOL:-64}
export STORM_BOUND=${STORM_BOUND:-300}
exec "$(dirname "$0")/../e2e/t53-storm.t" "$@"
