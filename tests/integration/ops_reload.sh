# ops_reload.sh - `ctl reload` under the real group (supervisord, a paced replay): a changed
# reloadable key is applied and named, a bad value changes nothing and names file:line: key,
# a key that needs a restart is refused by name, keys a stage does not read are not its
# business (docs/operations.md "Reload", docs/config.md says which key is which).
. tests/integration/lib.inc

cfg=$(make_config reload tests/integration/small.json 20)
dir=$(dirname "$cfg")
CTL="$BIN/ctl -c $cfg"
jget() { # jget INSTANCE JQ-FILTER: a field of `ctl status INSTANCE`
    $CTL status "$1" 2>/dev/null | jq -r "$2" 2>/dev/null
}
up() { [ -n "$(jget "$1" .pid)" ]; }
edit() { # edit JQ-PROGRAM: rewrite the config file in place
    jq "$1" "$cfg" >"$cfg.tmp" && mv "$cfg.tmp" "$cfg"
}
line_of() { grep -n "$1" "$cfg" | head -n 1 | cut -d: -f1; }
reload() { $CTL reload "$1" 2>&1; }

check "supervisord starts the group (replay paced at speed 20)" sh -c "tools/sv -c '$cfg' up >/dev/null 2>&1"
for s in risk.0 executor.0 recorder.0 feed.0; do
    check "$s answers" wait_for 30 up $s
done
risk_pid=$(jget risk.0 .pid)
exec_pid=$(jget executor.0 .pid)
eq "risk runs with the file's risk_per_trade_pct" "$(jget risk.0 .settings.risk_per_trade_pct)" 1

# 1. a reloadable key: applied, named, shown
edit '.risk.risk_per_trade_pct = "1.5"'
r=$(reload risk.0)
diag "reload risk.0: $r"
eq "risk_per_trade_pct changed: ok" "$(echo "$r" | jq -r .ok)" true
eq "reloaded lists exactly that key" "$(echo "$r" | jq -c .reloaded)" '["risk.risk_per_trade_pct"]'
check "the answer says after which step it applies" sh -c "echo '$r' | jq -e '.step >= 0' >/dev/null"
eq "ctl status risk.0 shows the new value" "$(jget risk.0 .settings.risk_per_trade_pct)" 1.5
r=$(reload risk.0)
eq "a second reload of the same file changes nothing" "$(echo "$r" | jq -c '[.ok, .reloaded]')" '[true,[]]'

# 2. a bad value: refused with file:line: key, nothing changed (not even the good key next
#    to it)
edit '.risk.max_open_positions = "one" | .risk.risk_per_trade_pct = "2"'
line=$(line_of '"max_open_positions": "one"')
r=$(reload risk.0)
diag "reload risk.0: $r"
eq "max_open_positions \"one\": ok false" "$(echo "$r" | jq -r .ok)" false
check "the error names $cfg:$line: risk.max_open_positions" \
    sh -c "echo '$r' | jq -r .error | grep -q '^$cfg:$line: risk.max_open_positions: expected an integer'"
eq "max_open_positions unchanged" "$(jget risk.0 .settings.max_open_positions)" 1
eq "risk_per_trade_pct unchanged by the refused file" "$(jget risk.0 .settings.risk_per_trade_pct)" 1.5

# 2b. an unknown key (a typo) is refused as such, by the reader used at start
edit '.risk.max_open_positions = 1 | .risk.risk_per_trade_pct = "1.5" | .risk.max_open_positons = 2'
line=$(line_of '"max_open_positons"')
r=$(reload risk.0)
eq "a misspelt risk key: refused as unknown" "$(echo "$r" | jq -r .error)" \
    "$cfg:$line: risk.max_open_positons: unknown key"
edit 'del(.risk.max_open_positons)'

# 3. a key that needs a restart: refused by name, nothing changed
edit '.risk.max_open_positions = 1 | .risk.risk_per_trade_pct = "1.5" | .risk.state_file = "{run}/elsewhere.json"'
line=$(line_of '"state_file"')
r=$(reload risk.0)
diag "reload risk.0: $r"
eq "risk.state_file changed: ok false" "$(echo "$r" | jq -r .ok)" false
eq "the error names it as needing a restart" "$(echo "$r" | jq -r .error)" \
    "$cfg:$line: risk.state_file: needs a restart"
eq "restart lists it" "$(echo "$r" | jq -c .restart)" '["risk.state_file"]'
check "risk still writes its state where it started" test -f "$dir/risk.0.state.json"
check "nothing was written to the new state path" test ! -e "$dir/elsewhere.json"

# 4. a key risk does not read is not its business; back to the running file: ok, nothing
edit 'del(.risk.state_file) | .recorder.batch_ms = 100'
r=$(reload risk.0)
eq "risk ignores recorder.batch_ms" "$(echo "$r" | jq -c '[.ok, .reloaded]')" '[true,[]]'

# 5. the recorder reads it, and it needs a restart there
line=$(line_of '"batch_ms"')
r=$(reload recorder.0)
diag "reload recorder.0: $r"
eq "recorder.batch_ms: refused, needs a restart" "$(echo "$r" | jq -r .error)" \
    "$cfg:$line: recorder.batch_ms: needs a restart"
edit '.recorder.batch_ms = 200'

# 6. the executor: paper_latency_ms is reloadable, taker_fee needs a restart
edit '.executor.paper_latency_ms = 5'
r=$(reload executor.0)
diag "reload executor.0: $r"
eq "executor.paper_latency_ms: ok" "$(echo "$r" | jq -c '[.ok, .reloaded]')" \
    '[true,["executor.paper_latency_ms"]]'
eq "ctl status executor.0 shows it" "$(jget executor.0 .paper_rules.latency_ms)" 5
edit '.executor.taker_fee = "0.002"'
line=$(line_of '"taker_fee"')
r=$(reload executor.0)
diag "reload executor.0: $r"
eq "executor.taker_fee: refused, needs a restart" "$(echo "$r" | jq -r .error)" \
    "$cfg:$line: executor.taker_fee: needs a restart"
edit '.executor.paper_latency_ms = "soon" | .executor.taker_fee = "0.001"'
line=$(line_of '"paper_latency_ms"')
r=$(reload executor.0)
check "a bad paper_latency_ms names $cfg:$line: executor.paper_latency_ms" \
    sh -c "echo '$r' | jq -r .error | grep -q '^$cfg:$line: executor.paper_latency_ms: expected an integer'"
eq "the executor keeps its latency" "$(jget executor.0 .paper_rules.latency_ms)" 5
edit '.executor.paper_latency_ms = 5'

# 7. a stage with no live keys of its own (feed): a change in its section needs a restart
edit '.feed.book_levels = 5'
line=$(line_of '"book_levels"')
r=$(reload feed.0)
eq "feed.book_levels: refused, needs a restart" "$(echo "$r" | jq -r .error)" \
    "$cfg:$line: feed.book_levels: needs a restart"
edit '.feed.book_levels = 10'

# 8. SIGHUP does the same as ctl reload (and logs it)
edit '.risk.min_confidence = 55'
kill -HUP "$risk_pid"
is55() { [ "$(jget risk.0 .settings.min_confidence)" = 55 ]; }
check "SIGHUP applies risk.min_confidence" wait_for 10 is55
check "the log names the reloaded key" \
    sh -c "grep -q 'config reloaded from .*risk.min_confidence' '$dir/log/risk.log'"

eq "risk was never restarted" "$(jget risk.0 .pid)" "$risk_pid"
eq "the executor was never restarted" "$(jget executor.0 .pid)" "$exec_pid"
tools/sv -c "$cfg" stop 'tradepipe:*' >/dev/null 2>&1
tools/sv -c "$cfg" shutdown >/dev/null 2>&1
check "every stage stopped cleanly" \
    sh -c "! grep -q 'stopped: .*(exit status [1-9]' '$dir/log/supervisord.log'"
finish
