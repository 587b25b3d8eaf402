#!/usr/bin/env bash
# Two builds of certmint under the same load AT THE SAME TIME: each `certmint serve` on its own
# new store (SQLite, or its own PostgreSQL database), each driven by its own wrk (32
# connections, pre-signed never-reused ES256 bodies) during the same seconds. Whatever the
# machine does meanwhile (other work, frequency changes) it does to both, so their ratio holds
# where two runs one after the other differ by 15–25 % on a shared machine. Both servers and both
# wrk share the cores: the absolute figures are lower than alone, only the ratios mean anything.
#
# Usage: bench/ab-simultaneous.sh YARDSTICK_DIR TREE_A TREE_B [sqlite|pg]
#   YARDSTICK_DIR: gen-bodies.mjs and wrk-bodies.lua (as for bench/yardstick-targets.sh);
#   TREE_A, TREE_B: built checkouts of certmint (the same one twice: an A/A run, the noise).
# Env: ROUNDS (3), DURATION (s, 8), CONNS (32), WORKERS (1), POOL_RATE (bodies per second of
#   load signed for each side, 12000: more than a side answers), PG_URL (pg mode: a server URL; two
#   databases certmint_ab_<pid>_a/_b are created there and dropped at the end), DPOP (a number N:
#   instead of the load, N DPoP-bound token requests per side, one at a time, alternating
#   between the sides, each integration's DPoP mode `allowed`: bench/dpop-latency.ts).
# Prints per round each side's req/s and req per CPU-second (the whole process tree), and B/A;
# with DPOP each side's median, p90 and p99 latency.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
src=${1:?usage: bench/ab-simultaneous.sh YARDSTICK_DIR TREE_A TREE_B [sqlite|pg]}
trees=("$(cd "${2:?TREE_A}" && pwd)" "$(cd "${3:?TREE_B}" && pwd)")
mode=${4:-sqlite}
ROUNDS=${ROUNDS:-3}; DURATION=${DURATION:-8}; CONNS=${CONNS:-32}; POOL_RATE=${POOL_RATE:-12000}
work=${YARDSTICK_WORK:-/tmp/certmint-yardstick}
mkdir -p "$work"; cp "$src"/gen-bodies.mjs "$src"/wrk-bodies.lua "$work"/
if [ ! -d "$work/node_modules/jose" ]; then
  (cd "$work" && { [ -f package.json ] || npm init -y >/dev/null; } && npm install --no-audit --no-fund --silent jose@6 >/dev/null)
fi
tmp=$(mktemp -d)
export CERTMINT_SECRET=${CERTMINT_SECRET:-ab-simultaneous-secret-0123456789abcdef}
pids=(); dbs=()
cleanup() {
  for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  sleep 2
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for d in "${dbs[@]}"; do psql "$PG_URL" -qc "drop database if exists $d" >/dev/null 2>&1 || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
hz=$(getconf CLK_TCK)
# CPU ticks of a process and all its descendants (a server's primary and its workers).
tree_ticks() {
  local all=("$1") i=0 t=0
  while [ $i -lt ${#all[@]} ]; do
    for c in $(pgrep -P "${all[$i]}" || true); do all+=("$c"); done
    i=$((i + 1))
  done
  for p in "${all[@]}"; do t=$((t + $(awk '{print $14+$15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done
  echo "$t"
}
urls=(); paths=(); specs=()
for s in 0 1; do
  name=$([ $s = 0 ] && echo a || echo b); db=""
  if [ "$mode" = pg ]; then
    d=certmint_ab_$$_$name; psql "${PG_URL:?pg mode needs PG_URL}" -qc "create database $d" >/dev/null; dbs+=("$d")
    db=$(node -e 'const u=new URL(process.argv[1]);u.pathname="/"+process.argv[2];console.log(u.href)' "$PG_URL" "$d")
  fi
  (cd "${trees[$s]}" && node --import tsx bench/yardstick-setup.ts "$tmp/$name" 1 ${db:+"$db"}) >"$tmp/$name.env"
  # shellcheck disable=SC1090
  source "$tmp/$name.env"
  if [ -n "${DPOP:-}" ]; then
    (cd "${trees[$s]}" && node bin/certmint.mjs integration update "$TARGET_CLIENT_ID" \
      --account "$ACCOUNT" --dpop allowed --db "$DB") >/dev/null
  fi
  port=$((8401 + s))
  (cd "${trees[$s]}" && exec node bin/certmint.mjs serve --db "$DB" --port "$port" --log-level warn \
    --rate-limit-client 100000000 --rate-limit-address 100000000 --workers "${WORKERS:-1}") >"$tmp/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 300); do grep -q listening "$tmp/$name.log" && break; sleep 0.2; done
  grep -q listening "$tmp/$name.log" || { cat "$tmp/$name.log" >&2; exit 2; }
  urls+=("http://127.0.0.1:$port/accounts/$ACCOUNT/services/rest/auth/oauth2/v1/token")
  paths+=("/accounts/$ACCOUNT/services/rest/auth/oauth2/v1/token")
  specs+=("$name=${urls[$s]},$TARGET_CLIENT_ID,$TARGET_KID,$TARGET_KEY")
  [ -z "${DPOP:-}" ] || continue
  # Never-reused bodies for every round and the 3 s warm-up (a body sent twice is a replay,
  # refused: a round whose non-2xx is not 0 ran dry and measured refusals; raise POOL_RATE).
  (cd "$work" && node gen-bodies.mjs --n $((POOL_RATE * (DURATION * ROUNDS + 3))) --client-id "$TARGET_CLIENT_ID" \
    --key "$TARGET_KEY" --alg ES256 --kid="$TARGET_KID" --aud "${urls[$s]}") >"$tmp/$name.bodies"
  for r in $(seq 0 "$ROUNDS"); do
    if [ "$r" = 0 ]; then first=1 last=$((POOL_RATE * 3))
    else first=$((POOL_RATE * (3 + (r - 1) * DURATION) + 1)) last=$((POOL_RATE * (3 + r * DURATION))); fi
    sed -n "${first},${last}p" "$tmp/$name.bodies" >"$tmp/$name.$r"
  done
done
if [ -n "${DPOP:-}" ]; then
  echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg), nproc $(nproc), mode $mode, DPoP"
  (cd "$here" && node --import tsx bench/dpop-latency.ts "$DPOP" "${specs[@]}")
  echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
  exit 0
fi
cd "$work"
# Both loads at once for `secs` seconds on the bodies of round r; wrk's last line into $tmp/out.{a,b}.
both() {
  local r=$1 secs=$2 w=()
  for s in 0 1; do
    name=$([ $s = 0 ] && echo a || echo b)
    BODIES=$tmp/$name.$r NTHREADS=1 TOKEN_PATH=${paths[$s]} \
      wrk -t1 -c"$CONNS" -d"${secs}s" -s wrk-bodies.lua "${urls[$s]}" | tail -1 >"$tmp/out.$name" &
    w+=($!)
  done
  wait "${w[@]}"
}
both 0 3 # warm-up: each process JIT-compiles its hot path
echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg), nproc $(nproc), mode $mode"
for r in $(seq 1 "$ROUNDS"); do
  a0=$(tree_ticks "${pids[0]}"); b0=$(tree_ticks "${pids[1]}")
  both "$r" "$DURATION"
  a1=$(tree_ticks "${pids[0]}"); b1=$(tree_ticks "${pids[1]}")
  paste -d' ' "$tmp/out.a" "$tmp/out.b" | awk -v r="$r" -v ta=$((a1 - a0)) -v tb=$((b1 - b0)) -v hz="$hz" -v d="$DURATION" '{
    for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "rps") rps[++n] = kv[2]; if (kv[1] == "non2xx") bad[++m] = kv[2] }
    ca = rps[1] * d / (ta / hz); cb = rps[2] * d / (tb / hz)
    printf "round %d  A: %d req/s, %d req/CPU-s, non-2xx %d   B: %d req/s, %d req/CPU-s, non-2xx %d   B/A: %.3f wall, %.3f per CPU-s\n",
      r, rps[1], ca, bad[1], rps[2], cb, bad[2], rps[2] / rps[1], cb / ca }'
done
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
