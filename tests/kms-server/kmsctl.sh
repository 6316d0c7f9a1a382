#!/bin/bash
# Start and stop the KMS test server.
#
#   kmsctl.sh start STATE_DIR [server options...]   prints the endpoint
#   kmsctl.sh stop STATE_DIR
#   kmsctl.sh status STATE_DIR                       exit 0 if running
#   kmsctl.sh control STATE_DIR GET|POST NAME [JSON] control API call
#
# Server options are passed to kms_server.py (e.g. --http, --principals F,
# --seed F, --verbose).  The server exits by itself after
# $KMS_SERVER_MAX_LIFETIME seconds (default 3600) in case stop is never
# called.  start waits up to $KMS_SERVER_START_TIMEOUT seconds (default 60)
# for the server to listen; stop, 30 s for it to exit.  PYTHON overrides the
# interpreter (default /usr/bin/python3).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY=${PYTHON:-/usr/bin/python3}

usage() {
    sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

# Is $1 the pid of a live kms_server.py?
is_server() {
    local pid=$1
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    # Into a variable, not through grep -q: under pipefail, grep -q leaving
    # early can kill tr with SIGPIPE and make a live server look gone.
    local cmdline
    cmdline=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || return 1
    [[ $cmdline == *kms_server.py* ]]
}

# gone PID SECONDS: waits (polling) until PID is no longer a live server;
# fails if it still is after SECONDS.
gone() {
    local pid=$1 deadline=$((SECONDS + $2))
    while is_server "$pid"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.1
    done
}

cmd=${1:-}
dir=${2:-}
[[ -n $cmd && -n $dir ]] || usage
shift 2

case $cmd in
start)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if [[ -f $dir/pid ]] && is_server "$(cat "$dir/pid")" && [[ -f $dir/endpoint ]]; then
        cat "$dir/endpoint"
        exit 0
    fi
    rm -f "$dir/endpoint" "$dir/port" "$dir/pid"
    "$PY" "$HERE/kms_server.py" --state-dir "$dir" \
        --max-lifetime "${KMS_SERVER_MAX_LIFETIME:-3600}" "$@" \
        </dev/null >>"$dir/server.log" 2>&1 &
    pid=$!
    echo "$pid" >"$dir/launcher.pid"
    # The server writes endpoint (atomically) once it listens.
    wait_s=${KMS_SERVER_START_TIMEOUT:-60}
    deadline=$((SECONDS + wait_s))
    while ((SECONDS < deadline)); do
        if [[ -s $dir/endpoint ]]; then
            cat "$dir/endpoint"
            exit 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid" && rc=0 || rc=$?
            echo "kmsctl: server exited during start (exit status $rc); log:" >&2
            tail -n 20 "$dir/server.log" >&2 || true
            exit 1
        fi
        sleep 0.1
    done
    echo "kmsctl: no $dir/endpoint after $wait_s s (KMS_SERVER_START_TIMEOUT); stopping the server; log:" >&2
    tail -n 20 "$dir/server.log" >&2 || true
    kill -TERM "$pid" 2>/dev/null || true
    gone "$pid" 10 || kill -KILL "$pid" 2>/dev/null || true
    exit 1
    ;;
stop)
    [[ -d $dir ]] || exit 0
    pids=()
    for f in pid launcher.pid; do
        if [[ -f $dir/$f ]]; then
            p=$(cat "$dir/$f")
            if is_server "$p"; then pids+=("$p"); fi
        fi
    done
    for p in ${pids[@]+"${pids[@]}"}; do
        kill -TERM "$p" 2>/dev/null || true
    done
    for p in ${pids[@]+"${pids[@]}"}; do
        gone "$p" 30 && continue
        echo "kmsctl: server $p did not stop within 30 s of SIGTERM; killing it" >&2
        kill -KILL "$p" 2>/dev/null || true
        if ! gone "$p" 30; then
            echo "kmsctl: server $p still running after SIGKILL" >&2
            exit 1
        fi
    done
    rm -f "$dir/endpoint" "$dir/port" "$dir/pid" "$dir/launcher.pid"
    ;;
status)
    if [[ -f $dir/pid ]] && is_server "$(cat "$dir/pid")"; then
        cat "$dir/endpoint"
        exit 0
    fi
    echo "not running" >&2
    exit 1
    ;;
control)
    exec "$PY" "$HERE/kmsclient.py" --state-dir "$dir" control "$@"
    ;;
*)
    usage
    ;;
esac
