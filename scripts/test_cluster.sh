#!/usr/bin/env bash
# make test-cluster (issue 8, item 4): `descent solve --distributed` across three simulated hosts.
#
# Each host is a network namespace (dsc-node1..3) whose processes run in their own UTS namespace
# with hostname node1..node3; each has one veth end on 10.213.0.0/24, the other end is plugged
# into a bridge that lives in a fourth namespace (dsc-switch), so nothing is added to the root
# namespace's network and no packet can leave the test subnet. mpirun runs on node1, reads a
# hostfile (one slot per host) and starts the orted daemons on node2 and node3 through an
# rsh agent that enters their namespaces (the ssh of a real cluster); names resolve through
# /etc/netns/<ns>/hosts. MPI talks TCP only (btl tcp,self; OOB and BTL restricted to the subnet).
# The distributed answer is compared with a single-process run: weights and bias equal to
# 1e-12 relative. Everything is torn down on exit, also on failure or interruption.
#
# Needs root, iproute2, util-linux (unshare), OpenMPI, python3, and the MPI build:
#   DESCENT_MPI=1 swift build -c release --scratch-path .build-cluster
# Environment: DESCENT_BIN (default .build-cluster/release/descent), ROWS, FEATURES, TIMEOUT (s), TOLERANCE,
# MPI_EXTRA_ARGS (added to mpirun, e.g. '--mca btl_base_verbose 100').
set -euo pipefail

BIN=${DESCENT_BIN:-.build-cluster/release/descent}
ROWS=${ROWS:-200000}
FEATURES=${FEATURES:-8}
TIMEOUT=${TIMEOUT:-120}
NODES=(node1 node2 node3)
NS_PREFIX=dsc-
SWITCH=${NS_PREFIX}switch
SUBNET=10.213.0
TOLERANCE=${TOLERANCE:-1e-12}

say() { printf '\n== %s\n' "$*"; }
fail() { printf 'test-cluster: FAILED: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "needs root (network namespaces)"
for tool in ip unshare mpirun python3 timeout; do
  command -v "$tool" >/dev/null || fail "$tool not found"
done
[ -x "$BIN" ] || fail "$BIN not found: DESCENT_MPI=1 swift build -c release --scratch-path .build-cluster"
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")

WORK=$(mktemp -d /tmp/descent-cluster.XXXXXX)

# Kills what is left in our namespaces (only processes this script started can be there),
# then deletes them: the veths and the bridge go with them.
teardown() {
  local ns pid
  for ns in "${NODES[@]/#/$NS_PREFIX}" "$SWITCH"; do
    if ip netns list | grep -qw "^$ns"; then
      for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
      ip netns del "$ns" 2>/dev/null || true
    fi
    rm -rf "/etc/netns/$ns"
  done
}
exec 3>&1 4>&2   # the script's own output: a signal can arrive inside a redirected command
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  exec 1>&3 2>&4
  teardown
  rm -rf "$WORK"
  if ip netns list | grep -q "^$NS_PREFIX"; then
    echo "test-cluster: WARNING: namespaces left: $(ip netns list | grep "^$NS_PREFIX" | tr '\n' ' ')" >&2
  else
    echo "test-cluster: namespaces, veths and bridge removed"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "network: 3 hosts on $SUBNET.0/24 behind a bridge"
teardown   # leftovers of an interrupted run
ip netns add "$SWITCH"
ip -n "$SWITCH" link add br0 type bridge
ip -n "$SWITCH" link set br0 up
ip -n "$SWITCH" link set lo up
HOSTS="127.0.0.1 localhost"
for i in 1 2 3; do HOSTS+=$'\n'"$SUBNET.1$i node$i"; done
for i in 1 2 3; do
  node=node$i; ns=$NS_PREFIX$node
  ip netns add "$ns"
  # Both ends are created directly inside the namespaces: nothing appears in the root namespace.
  ip link add eth0 netns "$ns" type veth peer name port$i netns "$SWITCH"
  ip -n "$SWITCH" link set port$i master br0
  ip -n "$SWITCH" link set port$i up
  ip -n "$ns" addr add "$SUBNET.1$i/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" link set lo up
  mkdir -p "/etc/netns/$ns"
  printf '%s\n' "$HOSTS" >"/etc/netns/$ns/hosts"
  printf '  %s  %-15s %s\n' "$node" "$ns" "$(ip -n "$ns" -4 -o addr show dev eth0 | awk '{print $4}')"
done

# The rsh agent: OpenMPI calls it as `agent <host> <command...>` (like ssh) to start orted.
cat >"$WORK/agent.sh" <<EOF
#!/bin/sh
host=\$1; shift
exec ip netns exec "$NS_PREFIX\$host" unshare --uts sh -c 'hostname "\$0" && eval "\$1"' "\$host" "\$*"
EOF
chmod +x "$WORK/agent.sh"
printf '%s slots=1\n' "${NODES[@]}" >"$WORK/hostfile"

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
MPIRUN=(mpirun --hostfile "$WORK/hostfile" -np 3 --map-by node
  --mca plm_rsh_agent "$WORK/agent.sh" --mca plm_rsh_no_tree_spawn 1
  --mca pml ob1 --mca btl tcp,self
  --mca btl_tcp_if_include "$SUBNET.0/24" --mca oob_tcp_if_include "$SUBNET.0/24"
  -x OPENBLAS_NUM_THREADS=1 ${MPI_EXTRA_ARGS:-})

# Runs a command on node1 (the head node): its namespace, its hostname.
on_node1() {
  timeout --kill-after=5 "$TIMEOUT" \
    ip netns exec "${NS_PREFIX}node1" unshare --uts sh -c 'hostname node1 && exec "$@"' sh "$@"
}

say "where the ranks run: mpirun -np 3 (one rank per host)"
on_node1 "${MPIRUN[@]}" sh -c \
  'echo "rank $OMPI_COMM_WORLD_RANK: host $(hostname), address $(ip -4 -o addr show dev eth0 | awk "{print \$4}")"' \
  | sort | tee "$WORK/ranks.txt"
hosts_seen=$(awk '{print $4}' "$WORK/ranks.txt" | tr -d , | sort -u | tr '\n' ' ')
[ "$hosts_seen" = "node1 node2 node3 " ] || fail "ranks ran on '$hosts_seen', expected one on each of node1 node2 node3"

ARGS=(solve --data synthetic --rows "$ROWS" --features "$FEATURES" --json)

say "distributed: descent ${ARGS[*]} --distributed over TCP"
# btl_base_verbose makes each rank log which transport it picked for each peer and the TCP
# connections it opened: the proof that the allreduce crossed the bridge.
start=$(date +%s%N)
on_node1 "${MPIRUN[@]}" --mca btl_base_verbose 100 "$BIN" "${ARGS[@]}" --distributed \
  >"$WORK/distributed.json" 2>"$WORK/mpi.log" || { cat "$WORK/mpi.log" >&2; fail "distributed run"; }
echo "  ($(( ($(date +%s%N) - start) / 1000000 )) ms, launch included)"
cat "$WORK/distributed.json"
echo "  transports (from btl_base_verbose):"
grep -E 'Using (tcp|self) btl for send|now connected to' "$WORK/mpi.log" | sed 's/^/    /' | sort
for node in node1 node2 node3; do
  grep -q "^\[$node:[0-9]*\] mca: bml: Using tcp btl for send" "$WORK/mpi.log" \
    || fail "no TCP traffic from $node in the MPI log ($WORK/mpi.log)"
done

say "single process: descent ${ARGS[*]}"
timeout "$TIMEOUT" "$BIN" "${ARGS[@]}" | tee "$WORK/single.json"

say "compare (relative tolerance $TOLERANCE)"
python3 - "$WORK/distributed.json" "$WORK/single.json" "$TOLERANCE" <<'PY'
import json, sys

def load(path):
    lines = [l for l in open(path) if l.strip().startswith("{")]
    if len(lines) != 1:
        sys.exit(f"{path}: expected one JSON line (rank 0 only), got {len(lines)}")
    return json.loads(lines[0])

def find(obj, key):
    """The value of `key` at the top level or one object down (e.g. {"model": {...}})."""
    if key in obj:
        return obj[key]
    for value in obj.values():
        if isinstance(value, dict) and key in value:
            return value[key]
    sys.exit(f"no '{key}' in {sorted(obj)}")

dist, single, tol = load(sys.argv[1]), load(sys.argv[2]), float(sys.argv[3])
print(f"  rows: distributed {find(dist, 'rows')}, single process {find(single, 'rows')}")
pairs = [(f"w[{i}]", a, b) for i, (a, b) in
         enumerate(zip(find(dist, "weights"), find(single, "weights"), strict=True))]
pairs.append(("bias", find(dist, "bias"), find(single, "bias")))
worst = 0.0
print(f"  {'':6} {'distributed':>24} {'single process':>24} {'relative diff':>14}")
for name, a, b in pairs:
    rel = abs(a - b) / max(abs(a), abs(b), 1e-300)
    worst = max(worst, rel)
    print(f"  {name:6} {a:24.17g} {b:24.17g} {rel:14.3g}{'  <-- MISMATCH' if rel > tol else ''}")
print(f"  largest relative difference: {worst:.3g}")
if worst > tol:
    sys.exit(f"test-cluster: FAILED: distributed and single-process answers differ by {worst:.3g} > {tol}")
PY
say "test-cluster: PASSED (3 hosts, one rank each, answer equal to one process)"
