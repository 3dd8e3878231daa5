#!/usr/bin/env bash
# The dropout figure of issue 12: how soon the server drops a client node whose process is
# SIGKILLed in the middle of a round, whatever the round's deadline (60 s here), while
# training loads the cores. Not part of CI (it takes about a minute and measures timing).
#
#   bash scripts/dropout-figure.sh            # ten kills
#   KILLS=3 bash scripts/dropout-figure.sh
#
# One server and three client nodes of two clients each (the seed example on six clients, every
# client sampled every round, 25 local epochs over 1,000 images: a round trains for about a
# second on every node at once). For each kill: wait until the victim node's clients are
# sampled and a round has just been sent out, SIGKILL that node's process, and time from the
# kill to the server's log line "Node <victim> is unreachable" (Akka's own UTC timestamp, in
# milliseconds); then start a replacement node with the same client ids, which rejoins and is
# sampled again. Prints one line per kill and the list of times.
set -euo pipefail

KILLS=${KILLS:-10}
root=$(cd "$(dirname "$0")/.." && pwd)
dll="$root/src/FedActors.Cli/bin/Release/net10.0/fedactors.dll"
if [ ! -f "$dll" ]; then
  dotnet build "$root/src/FedActors.Cli" -c Release --nologo -v quiet
fi

work=$(mktemp -d -t fedactors-dropout-XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

run=(
  --set simulation.clients=6
  --set server.min-available-clients=4
  --set server.fraction-fit=1.0
  --set server.min-fit-clients=2
  --set server.round-timeout=60s
  --set server.max-round-retries=0
  --set server.registration-timeout=60s
  --set "run.rounds=$((KILLS * 15 + 10))"
  --set training.local-epochs=25
  --set simulation.dataset.train-limit=6000
  --set simulation.dataset.test-limit=1000
)

# Waits (up to 120 s) for a line matching the extended regex $2 in file $1, and prints it.
wait_for() {
  local file=$1 pattern=$2 line
  for _ in $(seq 1200); do
    if line=$(grep -E -m1 -- "$pattern" "$file" 2>/dev/null); then
      printf '%s\n' "$line"
      return 0
    fi
    sleep 0.1
  done
  echo "no line matching '$pattern' in $file within 120 s:" >&2
  tail -n 30 "$file" >&2
  return 1
}

rounds_recorded() { grep -cE '^round [0-9]+/' "$work/server.log" || true; }

cd "$work"
# At INFO the server also logs each node's welcome ("Node ... joined"), which the loop waits for.
dotnet "$dll" server --config "$root/hocon/server.conf" --plain --host 127.0.0.1 --port 0 --output "$work/out" "${run[@]}" \
  --set akka.loglevel=INFO --set akka.stdout-loglevel=INFO >"$work/server.log" 2>&1 &
pids+=($!)
seed=$(wait_for "$work/server.log" 'server node listening at' | grep -oE 'akka\.tcp://[A-Za-z0-9_-]+@127\.0\.0\.1:[0-9]+' | head -n1)

# start_node N GENERATION: the node of client-(2N) and client-(2N+1); prints its pid.
start_node() {
  local n=$1 generation=$2
  dotnet "$dll" client --config "$root/hocon/client.conf" --seed "$seed" --host 127.0.0.1 \
    --first-client-id $((2 * n)) --clients-on-node 2 "${run[@]}" >"$work/node-$n-$generation.log" 2>&1 &
  echo $!
}

pids+=("$(start_node 0 0)" "$(start_node 1 0)")
victim=$(start_node 2 0)
pids+=("$victim")

times=()
for k in $(seq "$KILLS"); do
  log="$work/node-2-$((k - 1)).log"
  address=$(wait_for "$log" 'client node at akka\.tcp://' | grep -oE 'akka\.tcp://[A-Za-z0-9_-]+@127\.0\.0\.1:[0-9]+' | head -n1)
  wait_for "$work/server.log" "Node $address joined" >/dev/null

  # A round recorded after the victim joined: the next round's requests, the victim's clients
  # among them, have just gone out; a quarter of a second later every node is training.
  before=$(rounds_recorded)
  while [ "$(rounds_recorded)" -le "$before" ]; do sleep 0.05; done
  sleep 0.25

  load=$(cut -d' ' -f1 /proc/loadavg)
  killed=$(date -u +%s.%N)
  kill -9 "$victim"
  line=$(wait_for "$work/server.log" "Node $address is unreachable")
  # Akka's stamp: [WARNING][12/01/2026 13:02:03.456Z][Thread ...]
  stamp=$(printf '%s\n' "$line" | grep -oE '\[[0-9]{2}/[0-9]{2}/[0-9]{4} [0-9:.]+Z\]' | head -n1 | tr -d '[]Z')
  dropped=$(date -u -d "$(printf '%s' "$stamp" | awk '{ split($1, d, "/"); print d[3] "-" d[1] "-" d[2] " " $2 }')" +%s.%N)
  seconds=$(awk -v a="$killed" -v b="$dropped" 'BEGIN { printf "%.3f", b - a }')
  times+=("$seconds")

  # The coordinator's record that the kill cost a round its two updates, not the run: the k-th drop
  # of client-4 as unreachable, from the fit of the round in progress.
  for _ in $(seq 1200); do
    [ "$(grep -cE 'fit: dropped client client-4 \(Unreachable\)' "$work/server.log" || true)" -ge "$k" ] && break
    sleep 0.1
  done
  round=$(grep -E 'fit: dropped client client-4 \(Unreachable\)' "$work/server.log" | sed -n "${k}p" | grep -oE 'Round [0-9]+' || echo "no round")
  echo "kill $k: node $address SIGKILLed at $(date -u -d "@$killed" +%H:%M:%S.%3N) (load average $load), dropped by the server at ${stamp#* }: ${seconds} s; ${round}'s fit dropped client-4 and client-5 as unreachable"

  victim=$(start_node 2 "$k")
  pids+=("$victim")
done

echo "times from kill to drop (s): ${times[*]}"
printf '%s\n' "${times[@]}" | sort -n | awk '{ t[NR] = $1 } END { printf "min %.3f s, median %.3f s, max %.3f s over %d kills\n", t[1], (NR % 2 ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2), t[NR], NR }'
