#!/bin/sh
# make run: start the group under supervisord on the bundled real data (paper trading),
# wait for venue-sim to finish the replay, stop the group cleanly, print the report.
#   tools/run.sh [CONFIG]        (default config/default.json; TP_MAX_WAIT seconds, default 900)
# A stage that dies (exits unexpectedly or goes FATAL) ends the wait at once: its name, exit
# status and last log lines are printed, the group is stopped, and run.sh exits 1.
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here" || exit 1
cfg=${1:-config/default.json}
cfg=$(cd "$(dirname "$cfg")" && pwd)/$(basename "$cfg")
# the config as every stage would read it, before anything starts (a typo must not run on
# defaults): its errors, each file:line: key: why, and exit 2
build/bin/check-config -c "$cfg" || exit 2
run=$(sed -n 's/^ *"run_dir": *"\([^"]*\)".*/\1/p' "$cfg" | head -n 1)
[ -n "$run" ] || run=run
case "$run" in /*) ;; *) run=$here/$run ;; esac
sv() { tools/sv -c "$cfg" "$@"; }

if [ -S "$run/supervisor.sock" ] && sv status >/dev/null 2>&1; then
    echo "run: a group is already running in $run (tools/sv -c $cfg shutdown)" >&2
    exit 1
fi
rm -rf "$run"
mkdir -p "$run/log" && chmod 0700 "$run"
echo "run: starting the group (config $cfg, run directory $run)"
start=$(date +%s)
sv up || { echo "run: supervisord did not start" >&2; exit 1; }
trap 'sv shutdown >/dev/null 2>&1' INT TERM
# wait for the end of the replay, but stop waiting as soon as a stage dies (sv wait-done)
sv wait-done "${TP_MAX_WAIT:-900}"
rc=$?
if [ $rc -ne 0 ]; then
    if [ $rc -eq 2 ]; then
        echo "run: the replay did not finish; group status and log tails follow" >&2
        sv status >&2
        tail -n 5 "$run"/log/*.log >&2
    else
        echo "run: the group failed after $(($(date +%s) - start)) s (above: which stage and why); stopping it" >&2
        sv status >&2
    fi
    sv shutdown >/dev/null 2>&1
    exit 1
fi
echo "run: replay done in $(($(date +%s) - start)) s; stopping the group"
sv stop 'tradepipe:*' >/dev/null
sv status
sv shutdown >/dev/null
echo
build/bin/report "$run/tradepipe.db"
