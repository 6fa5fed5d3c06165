#!/bin/sh
# fresh-check.sh - the README's two commands on a freshly bootstrapped Debian 12, with nothing
# installed by hand.
#
#   tools/fresh-check.sh            (make fresh-check; needs root: debootstrap, chroot, mounts)
#
# 1. debootstrap --variant=minbase bookworm into a temporary directory, from the mirror the
#    host's apt sources name (/etc/apt/sources.list, /etc/apt/sources.list.d/*.{list,sources});
#    the downloaded packages are kept in $FRESH_CACHE (default build/fresh-cache, at most 7
#    days old) so a rerun does not fetch them again
# 2. inside, as the README says a bare machine needs: apt-get install make git, then
#    git clone of the committed tree (HEAD when it starts; uncommitted changes are not in it,
#    as in CI)
# 3. make run, then make check, in a chroot with an empty environment (HOME=/root, standard
#    PATH); the chroot's root is bind-mounted onto itself (ip netns needs / to be a mount),
#    with /proc, /sys, /dev, /dev/pts and a fresh /dev/shm
# Prints the time of each phase and, last, make check's closing line "N passed, M failed";
# exits 0 only when both commands succeed. The test logs of the inner run are copied to
# build/fresh-check/test-logs. Every exit path (also INT/TERM) kills the processes whose root
# is the chroot, unmounts everything (the mounts live in a private mount namespace, so none
# can outlive the run) and removes the directory.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
me=$top/tools/fresh-check.sh
suite=bookworm

die() {
    echo "fresh-check: $*" >&2
    exit 2
}
say() { echo "fresh-check: $*"; }

# s_kill_root DIR: kill every process whose root directory is DIR (compared by device and
# inode, so a process in another mount namespace is found too); TERM first, then KILL
s_kill_root() {
    want=$(stat -L -c %d:%i "$1" 2>/dev/null) || return 0
    [ "$want" != "$(stat -L -c %d:%i /)" ] || return 1 # never the host's own root
    round=0
    while [ $round -lt 8 ]; do
        pids=""
        for p in /proc/[0-9]*; do
            [ "$(stat -L -c %d:%i "$p/root" 2>/dev/null)" = "$want" ] && pids="$pids ${p#/proc/}"
        done
        [ -n "$pids" ] || return 0
        sig=TERM
        [ $round -ge 3 ] && sig=KILL
        # shellcheck disable=SC2086
        kill -s $sig $pids 2>/dev/null
        sleep 1
        round=$((round + 1))
    done
    echo "fresh-check: processes still running in $1:$pids" >&2
    return 1
}

# ---- inner part: runs in a private mount namespace (unshare -m), $1 = the directory --------
if [ "${1:-}" = --inner ]; then
    dir=$2
    root=$dir/root
    mounts=""
    s_mount() { # s_mount TARGET mount-args...: mount and remember for the cleanup
        t=$1
        shift
        mount "$@" "$t" || die "cannot mount $t"
        mounts="$t $mounts"
    }
    s_inner_cleanup() {
        s_kill_root "$root"
        for m in $mounts; do
            umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || echo "fresh-check: cannot unmount $m" >&2
        done
        mounts=""
    }
    trap 's_inner_cleanup' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM HUP

    t0=$(date +%s)
    mkdir -p "$root"
    tarball=$3
    mirror=$4
    if [ -s "$tarball" ]; then
        say "bootstrap: $suite minbase from $tarball (mirror $mirror)"
        debootstrap --variant=minbase --unpack-tarball="$tarball" "$suite" "$root" "$mirror" \
            >"$dir/debootstrap.log" 2>&1
    else
        say "bootstrap: $suite minbase from $mirror"
        mkdir -p "$(dirname "$tarball")"
        debootstrap --variant=minbase --make-tarball="$tarball.part" "$suite" "$dir/dl" "$mirror" \
            >"$dir/debootstrap.log" 2>&1 &&
            mv "$tarball.part" "$tarball" && rm -rf "$dir/dl" &&
            debootstrap --variant=minbase --unpack-tarball="$tarball" "$suite" "$root" "$mirror" \
                >>"$dir/debootstrap.log" 2>&1
    fi || {
        tail -n 20 "$dir/debootstrap.log" >&2
        rm -f "$tarball" "$tarball.part"
        die "debootstrap failed (log above)"
    }
    t1=$(date +%s)
    say "bootstrap: $((t1 - t0)) s"

    # reach the mirror as the host does: its apt sources (and the keyrings they name) and its
    # Acquire:: settings (proxy, validity); name resolution and localhost as on any machine
    rm -f "$root/etc/apt/sources.list"
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        cp "$f" "$root$f"
        for k in $(sed -n 's/.*[Ss]igned-[Bb]y[:=] *\([^] ]*\).*/\1/p' "$f"); do
            [ -f "$k" ] && [ ! -e "$root$k" ] && mkdir -p "$root$(dirname "$k")" && cp "$k" "$root$k"
        done
    done
    for f in /etc/apt/apt.conf.d/*; do
        [ -f "$f" ] && grep -q '^[[:space:]]*Acquire::' "$f" && cp "$f" "$root$f"
    done
    cp /etc/resolv.conf "$root/etc/resolv.conf"
    [ -s "$root/etc/hosts" ] || printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"

    mv "$dir/tradepipe.bundle" "$root/tradepipe.bundle" || die "cannot move the bundle into $root"

    s_mount "$root" --bind "$root"
    s_mount "$root/proc" -t proc proc
    s_mount "$root/sys" -t sysfs sysfs
    s_mount "$root/dev" --bind /dev
    s_mount "$root/dev/pts" --bind /dev/pts
    s_mount "$root/dev/shm" -t tmpfs -o mode=1777,nosuid,nodev shm

    # what runs inside: the README's prerequisite line, the clone, then its two commands;
    # /closing gets the closing line for the outer part to print last
    cat >"$root/fresh-inner.sh" <<'EOF'
set -u
t() { date +%s; }
t0=$(t)
echo "fresh-check: prerequisites: apt-get install make git"
{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends make git; } >/tmp/prereq.log 2>&1 || { tail -n 20 /tmp/prereq.log; exit 2; }
git clone -q /tradepipe.bundle /src 2>/dev/null || { echo "fresh-check: cannot clone"; exit 2; }
cd /src || exit 2
echo "fresh-check: commit $(git log -1 --format='%h %s' | cut -c1-72)"
t1=$(t)
echo "fresh-check: make run"
make run
run_rc=$?
t2=$(t)
echo "fresh-check: make check"
{ make check 2>&1; echo $? >/tmp/check.rc; } | tee /tmp/check.out
check_rc=$(cat /tmp/check.rc)
t3=$(t)
echo "fresh-check: prerequisites $((t1 - t0)) s, make run $((t2 - t1)) s (exit $run_rc)," \
    "make check $((t3 - t2)) s (exit $check_rc)"
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' /tmp/check.out | tail -n 1)
echo "${line:-make check printed no closing line (exit $check_rc)}" >/closing
[ "$run_rc" -eq 0 ] && [ "$check_rc" -eq 0 ] && [ -n "$line" ]
EOF
    # in the background, so that INT/TERM run the cleanup at once
    chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        /bin/sh /fresh-inner.sh &
    wait $!
    rc=$?
    rm -rf "$top/build/fresh-check/test-logs"
    mkdir -p "$top/build/fresh-check"
    [ -d "$root/src/build/test-logs" ] && cp -r "$root/src/build/test-logs" "$top/build/fresh-check/"
    exit $rc
fi

# ---- outer part ----------------------------------------------------------------------------
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "needs root (debootstrap, chroot, mounts)"
    exec sudo "$me" "$@"
fi
[ $# -eq 0 ] || die "usage: tools/fresh-check.sh (no arguments)"
command -v git >/dev/null 2>&1 || die "needs git (to bundle HEAD)"
if ! command -v debootstrap >/dev/null 2>&1; then
    say "installing debootstrap"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends debootstrap >/dev/null; } || die "cannot install debootstrap"
fi
command -v unshare >/dev/null 2>&1 || die "needs unshare (util-linux)"

# the mirror of the host's configured Debian $suite: one-line sources first, then deb822
mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
    sed -n "s/^[[:space:]]*deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]\{1,\}\)\{0,1\}\([^[:space:]]*\)[[:space:]]\{1,\}${suite}[[:space:]].*/\2/p" |
    head -n 1)
if [ -z "$mirror" ]; then
    mirror=$(awk -v suite="$suite" '
        function flush() { if (deb && ok && on && uri != "" && out == "") out = uri; deb = ok = 0; on = 1; uri = "" }
        BEGIN { on = 1 }
        FNR == 1 { flush() }
        /^[[:space:]]*$/ { flush(); next }
        /^[[:space:]]*#/ { next }
        tolower($1) == "types:" { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
        tolower($1) == "uris:" { uri = $2 }
        tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == suite) ok = 1 }
        tolower($1) == "enabled:" { on = (tolower($2) != "no") }
        END { flush(); print out }' /etc/apt/sources.list.d/*.sources 2>/dev/null)
fi
[ -n "$mirror" ] || die "no Debian $suite mirror in /etc/apt/sources.list or /etc/apt/sources.list.d"

cache=${FRESH_CACHE:-$top/build/fresh-cache}
tarball=$cache/$suite-minbase-$(dpkg --print-architecture).tgz
find "$cache" -name '*.tgz' -mtime +7 -exec rm -f {} + 2>/dev/null

dir=$(mktemp -d "${TMPDIR:-/var/tmp}/tp-fresh.XXXXXX") || die "cannot create a temporary directory"
inner=""
s_cleanup() {
    trap '' INT TERM HUP
    [ -n "$inner" ] && kill -TERM "$inner" 2>/dev/null && wait "$inner" 2>/dev/null
    s_kill_root "$dir/root"
    # the mounts were in the inner namespace; if any is visible here, do not delete through it
    if grep -q " $dir/" /proc/self/mountinfo; then
        echo "fresh-check: mounts left under $dir; not removing it" >&2
    else
        rm -rf --one-file-system "$dir"
    fi
}
trap 's_cleanup' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

say "directory $dir, mirror $mirror"
# the tree to test is HEAD as it is now (a commit made while this runs is not in it)
git -C "$top" bundle create -q "$dir/tradepipe.bundle" HEAD || die "cannot bundle HEAD of $top"
start=$(date +%s)
unshare --mount --propagation private "$me" --inner "$dir" "$tarball" "$mirror" &
inner=$!
wait "$inner"
rc=$?
inner=""
say "total $(($(date +%s) - start)) s"
if [ -s "$dir/root/closing" ]; then
    cat "$dir/root/closing"
else
    echo "fresh-check: failed before make check (exit $rc)"
fi
exit $rc
