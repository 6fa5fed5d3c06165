# ops_supervisor.sh - the group under supervisord: shards via numprocs (a config with signal.0
# and signal.1 starts two signal processes with their own logs), restarting one stage alone
# leaves the others' pids unchanged, "tradepipe:signal" names every shard, and every program's
# log is rotated (stdout_logfile_maxbytes / backups set, supervisord's own log too).
. tests/integration/lib.inc

# --- log rotation is configured for every program and for supervisord ---
n_prog=$(grep -c '^\[program:' supervisord.conf)
eq "every program has stdout_logfile_maxbytes" "$(grep -c '^stdout_logfile_maxbytes=[1-9]' supervisord.conf)" "$n_prog"
eq "every program has stdout_logfile_backups" "$(grep -c '^stdout_logfile_backups=[1-9]' supervisord.conf)" "$n_prog"
check "supervisord's own log rotates" grep -q '^logfile_maxbytes=[1-9]' supervisord.conf

# --- two signal shards ---
cfg=$(make_config sh tests/integration/small.json max)
dir=$(dirname "$cfg")
# add endpoints.signal.1 after signal.0 (same shape, its own sockets)
sed -i 's#^\( *\)"signal.0": {#\1"signal.1": { "pub": "ipc://{run}/signal.1.pub", "ctl": "ipc://{run}/signal.1.ctl" },\n\1"signal.0": {#' "$cfg"
check "config has signal.1" grep -q '"signal.1"' "$cfg"
tools/sv -c "$cfg" up >/dev/null 2>&1
sleep 2
st=$(tools/sv -c "$cfg" status)
echo "$st" | sed 's/^/# /'
check "signal_0 and signal_1 running" sh -c "echo '$st' | grep -q 'signal_0 *RUNNING' && echo '$st' | grep -q 'signal_1 *RUNNING'"
check "each shard logs to its own file" test -f "$dir/log/signal_0.log" -a -f "$dir/log/signal_1.log"
check "signal.1 answers ctl status as signal.1" sh -c "'$BIN/ctl' -c '$cfg' status signal.1 | grep -q '\"stage\":\"signal.1\"'"
pid() { tools/sv -c "$cfg" pid "tradepipe:$1"; }
risk_before=$(pid risk)
feed_before=$(pid feed_0)
s0_before=$(pid signal_0)
s1_before=$(pid signal_1)
tools/sv -c "$cfg" restart tradepipe:signal_1 >/dev/null 2>&1
sleep 1
check "restart of one shard: a new pid for signal_1" test "$(pid signal_1)" != "$s1_before"
eq "restart of one shard: signal_0 untouched" "$(pid signal_0)" "$s0_before"
eq "restart of one shard: risk untouched" "$(pid risk)" "$risk_before"
eq "restart of one shard: feed untouched" "$(pid feed_0)" "$feed_before"
s1_mid=$(pid signal_1)
tools/sv -c "$cfg" restart tradepipe:signal >/dev/null 2>&1
sleep 1
check "tradepipe:signal restarts every shard" \
    sh -c "test '$(pid signal_0)' != '$s0_before' && test '$(pid signal_1)' != '$s1_mid'"
tools/sv -c "$cfg" stop 'tradepipe:*' >/dev/null 2>&1
tools/sv -c "$cfg" shutdown >/dev/null 2>&1
"$BIN/ctl" -c "$cfg" --timeout 300 status risk.0 >"$dir/ctl_to.out" 2>"$dir/ctl_to.err"
eq "ctl to a stopped stage: exit 1" "$?" 1
check "ctl says which stage did not answer, where and how long" \
    grep -q '"error":"no answer from risk.0 at ipc://.* within 300 ms"' "$dir/ctl_to.out"
check "ctl hints at the cause on stderr" grep -q "is it running" "$dir/ctl_to.err"
"$BIN/ctl" -c "$cfg" --timeout 300 status all >"$dir/ctl_all.out" 2>&1
eq "ctl status all with everything stopped: exit 1" "$?" 1
check "ctl status all: one error entry per instance" \
    sh -c "test \$(grep -o '\"error\":\"no answer within 300 ms\"' '$dir/ctl_all.out' | wc -l) -ge 6"
check "no program exited with an error" sh -c "! grep -q 'stopped: .*(exit status [1-9]' '$dir/log/supervisord.log'"
finish
