#!/usr/bin/env bash
# A cluster of network namespaces on one bridge, for multi-process tests under
# real kernel faults: netem delay/loss per node, partitions between nodes.
#
#   netns-cluster.sh up N                 N nodes n0..n(N-1), addresses SUBNET.1 .. SUBNET.N
#   netns-cluster.sh netem NODE "ARGS"    tc netem ARGS on NODE's eth0 ("delay 20ms loss 1%"; "off" removes)
#   netns-cluster.sh partition A B        drop every IPv4 packet between A and B, both ways
#   netns-cluster.sh heal [A B]           undo one partition, or all of them
#   netns-cluster.sh exec NODE CMD...     run CMD inside NODE
#   netns-cluster.sh addr NODE            print NODE's address
#   netns-cluster.sh list                 nodes and their addresses
#   netns-cluster.sh down                 remove everything `up` made (idempotent)
#
# NODE is an index (0), a node name (n0) or a namespace name (cn-n0).
#
# Layout: the bridge lives in its own namespace (PREFIX + "sw"), so nothing is
# added to the root namespace and clusters with different prefixes never clash.
# Each node has eth0 (a veth whose peer is a bridge port) and lo, both up.
#
# Partitions use only what every kernel with tc has (clsact, u32, mirred): an
# egress u32 filter on each side redirects packets for the other side to
# "sink", a veth whose peer has no address, where they are silently discarded.
# So established connections stall like over a cut cable rather than failing.
# ARP still passes, as it would through a cut at the IP layer.
#
# Environment:
#   CORONET_NETNS_PREFIX  namespace name prefix (default "cn-"); tests use a
#                         unique one so they never touch a developer's cluster
#   CORONET_NETNS_SUBNET  first three octets of the /24 (default "10.77.0")
#
# Exit status: 0 done, 1 failed, 2 usage, 69 the kernel lacks a feature (e.g.
# sch_netem), 77 not permitted (not root, or `ip netns` refused).
set -euo pipefail

prefix=${CORONET_NETNS_PREFIX:-cn-}
subnet=${CORONET_NETNS_SUBNET:-10.77.0}
nodes_max=200
me=$(basename "$0")

die() {
    local status=$1
    shift
    echo "$me: $*" >&2
    exit "$status"
}

usage() {
    sed -n '5,14p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

[[ $prefix =~ ^[A-Za-z0-9_.-]{1,24}$ ]] || die 2 "CORONET_NETNS_PREFIX '$prefix' must be 1-24 of [A-Za-z0-9_.-]"
[[ $subnet =~ ^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$ ]] || die 2 "CORONET_NETNS_SUBNET '$subnet' must look like 10.77.0"
for octet in "${BASH_REMATCH[@]:1}"; do
    ((10#$octet <= 255)) || die 2 "CORONET_NETNS_SUBNET '$subnet': $octet is not an octet"
done

switch_ns=${prefix}sw

require_rights() {
    command -v ip >/dev/null || die 69 "iproute2 ('ip') is not installed"
    command -v tc >/dev/null || die 69 "tc (iproute2) is not installed"
    [ "$(id -u)" -eq 0 ] || die 77 "must run as root: network namespaces need CAP_SYS_ADMIN (try sudo)"
    local probe="${prefix}probe$$" err
    if ! err=$(ip netns add "$probe" 2>&1); then
        die 77 "ip netns is not permitted here: $err"
    fi
    ip netns del "$probe"
}

# Our namespaces, nodes in index order.
node_namespaces() {
    local ns
    ip netns list 2>/dev/null | awk '{print $1}' | while read -r ns; do
        if [[ $ns =~ ^${prefix//./\\.}n([0-9]+)$ ]]; then echo "${BASH_REMATCH[1]} $ns"; fi
    done | sort -n | awk '{print $2}'
}

node_ns() {
    local node=$1 ns
    case $node in
        '' ) die 2 "missing NODE" ;;
        *[!0-9]* ) if [[ $node == "$prefix"* ]]; then ns=$node; else ns=$prefix$node; fi ;;
        * ) ns=${prefix}n$node ;;
    esac
    [[ $ns =~ ^${prefix//./\\.}n([0-9]+)$ ]] || die 2 "'$node' is not a node (use 0, n0 or ${prefix}n0)"
    ip netns list 2>/dev/null | awk '{print $1}' | grep -qx "$ns" || die 1 "node '$node' ($ns) does not exist; run '$me up N' first"
    echo "$ns"
}

node_index() { local ns=$1; echo "${ns#"${prefix}"n}"; }
node_addr() { echo "$subnet.$(($(node_index "$1") + 1))"; }

cmd_up() {
    local n=${1:-}
    if ! [[ $n =~ ^[0-9]+$ ]] || ((10#$n < 1 || 10#$n > nodes_max)); then die 2 "up N: N must be 1..$nodes_max"; fi
    require_rights
    if ip netns list | awk '{print $1}' | grep -qx "$switch_ns"; then
        die 1 "a cluster with prefix '$prefix' is already up; run '$me down' first"
    fi
    # Whatever fails half-way, leave nothing behind.
    trap 'status=$?; if [ $status -ne 0 ]; then echo "$me: up failed; removing what it made" >&2; cmd_down >/dev/null 2>&1 || true; fi' EXIT
    ip netns add "$switch_ns"
    ip -n "$switch_ns" link set lo up
    ip -n "$switch_ns" link add br0 type bridge
    ip -n "$switch_ns" link set br0 up
    local i ns
    for ((i = 0; i < n; i++)); do
        ns=${prefix}n$i
        ip netns add "$ns"
        ip -n "$ns" link set lo up
        # Made directly inside the namespaces: no names in the root namespace.
        ip link add eth0 netns "$ns" type veth peer name "p$i" netns "$switch_ns"
        ip -n "$switch_ns" link set "p$i" master br0
        ip -n "$switch_ns" link set "p$i" up
        ip -n "$ns" addr add "$subnet.$((i + 1))/24" dev eth0
        ip -n "$ns" link set eth0 up
        # The partition sink: packets redirected here are discarded, silently.
        ip -n "$ns" link add sink type veth peer name sink-peer
        ip -n "$ns" link set sink up
        ip -n "$ns" link set sink-peer up
        tc -n "$ns" qdisc add dev eth0 clsact
    done
    trap - EXIT
    echo "$n node(s) up: ${prefix}n0..${prefix}n$((n - 1)) on $subnet.0/24 (bridge in $switch_ns)"
}

cmd_down() {
    local ns pids
    for ns in $(node_namespaces) $(ip netns list 2>/dev/null | awk '{print $1}' | grep -x "$switch_ns" || true); do
        # Processes inside keep the namespace (and its veths) alive after its
        # name is gone; they are the caller's to stop, by PID.
        pids=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ' || true)
        [ -z "$pids" ] || echo "$me: warning: still running in $ns: $pids" >&2
        ip netns del "$ns"
    done
}

cmd_netem() {
    [ $# -ge 2 ] || die 2 "netem NODE \"ARGS\" (e.g. \"delay 20ms loss 1%\", or off)"
    local ns err
    ns=$(node_ns "$1")
    shift
    if [ "$*" = off ]; then
        tc -n "$ns" qdisc del dev eth0 root 2>/dev/null || true
        return
    fi
    # shellcheck disable=SC2048,SC2086 # the netem arguments are words on purpose
    if ! err=$(tc -n "$ns" qdisc replace dev eth0 root netem $* 2>&1); then
        if grep -qi "unknown" <<<"$err"; then
            die 69 "tc netem is unavailable in this kernel (CONFIG_NET_SCH_NETEM / module sch_netem): $err"
        fi
        die 1 "netem $*: $err"
    fi
}

# One direction of a partition: `from` drops what it sends to `to`.
cut_one_way() {
    local from=$1 to=$2 err
    local prio=$((100 + $(node_index "$to")))
    tc -n "$from" filter del dev eth0 egress prio "$prio" 2>/dev/null || true
    if ! err=$(tc -n "$from" filter add dev eth0 egress prio "$prio" protocol ip \
        u32 match ip dst "$(node_addr "$to")/32" action mirred egress redirect dev sink 2>&1); then
        die 69 "partition needs tc's u32 classifier and mirred action (cls_u32, act_mirred): $err"
    fi
}

cmd_partition() {
    [ $# -eq 2 ] || die 2 "partition A B"
    local a b
    a=$(node_ns "$1")
    b=$(node_ns "$2")
    [ "$a" != "$b" ] || die 2 "partition: A and B are the same node"
    cut_one_way "$a" "$b"
    cut_one_way "$b" "$a"
}

cmd_heal() {
    local ns a b
    if [ $# -eq 0 ]; then
        for ns in $(node_namespaces); do
            tc -n "$ns" filter del dev eth0 egress 2>/dev/null || true
        done
        return
    fi
    [ $# -eq 2 ] || die 2 "heal [A B]"
    a=$(node_ns "$1")
    b=$(node_ns "$2")
    tc -n "$a" filter del dev eth0 egress prio $((100 + $(node_index "$b"))) 2>/dev/null || true
    tc -n "$b" filter del dev eth0 egress prio $((100 + $(node_index "$a"))) 2>/dev/null || true
}

cmd_exec() {
    [ $# -ge 2 ] || die 2 "exec NODE CMD..."
    local ns
    ns=$(node_ns "$1")
    shift
    exec ip netns exec "$ns" "$@"
}

cmd_list() {
    local ns
    for ns in $(node_namespaces); do
        echo "$ns $(node_addr "$ns")"
    done
}

[ $# -ge 1 ] || usage
command=$1
shift
case $command in
    up) cmd_up "$@" ;;
    down) [ $# -eq 0 ] || die 2 "down takes no arguments"; cmd_down ;;
    netem) cmd_netem "$@" ;;
    partition) cmd_partition "$@" ;;
    heal) cmd_heal "$@" ;;
    exec) cmd_exec "$@" ;;
    addr) [ $# -eq 1 ] || die 2 "addr NODE"; node_addr "$(node_ns "$1")" ;;
    list) cmd_list ;;
    -h | --help | help) usage ;;
    *) die 2 "unknown command '$command' (up, down, netem, partition, heal, exec, addr, list)" ;;
esac
