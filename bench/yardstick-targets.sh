#!/usr/bin/env bash
# certmint against a wrk yardstick directory (floor-server.mjs, peer-oidc-provider.mjs,
# gen-bodies.mjs, wrk-bodies.lua: the same servers and body generator as `npm run bench`'s floor
# and peer, driven by wrk), several certmint set-ups in ONE run, rounds alternating:
#   floor, oidc-provider, the floor in 2 node:cluster processes (floor-2p), the floor plus the
#   durable replay claim and audit row in SQLite (floor-records), certmint SQLite 1 worker,
#   SQLite 2 workers, PostgreSQL 1 worker.
# Usage: bench/yardstick-targets.sh YARDSTICK_DIR
# Env: DURATION (s, default 8), ROUNDS (default 3), CONNS (default 32), WARMUP (s of unmeasured
#   load on every target before the rounds, default 3; 0: none), PG_URL (a PostgreSQL
#   server URL; a fresh database certmint_bench_<pid> is created there and dropped at the end;
#   unset: no PostgreSQL target), RECORDS_FLOOR (0: no floor-records target), PG_WORKERS2 (1: a PostgreSQL target with --workers 2 too,
#   postgres-2w, on a database of its own), WORKERS2 (0: no 2-worker or 2-process floor target), BASELINE (another built
#   checkout of certmint, e.g. an earlier commit: its SQLite and PostgreSQL servers join the
#   same rounds as sqlite-base (and sqlite-base-2w) and postgres-base, for a before/after in one run).
# CPU per target is the sum over the whole process tree (the primary and its workers: the
# listening pid alone would miss the workers), read from /proc/<pid>/stat before and after each
# run; for PostgreSQL the database server's CPU is printed beside it (postgres processes).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
src=${1:?usage: bench/yardstick-targets.sh YARDSTICK_DIR}
work=${YARDSTICK_WORK:-/tmp/certmint-yardstick}
DURATION=${DURATION:-8}; ROUNDS=${ROUNDS:-3}; CONNS=${CONNS:-32}
mkdir -p "$work"; cp "$src"/*.mjs "$src"/*.lua "$work"/
cd "$work"
if [ ! -d node_modules/oidc-provider ]; then
  [ -f package.json ] || npm init -y >/dev/null
  npm install --no-audit --no-fund --silent oidc-provider@9 jose@6 >/dev/null
fi
if [ ! -f es256.pem ]; then
  openssl req -new -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -pkeyopt ec_param_enc:named_curve -nodes -days 365 -subj /CN=yardstick -out es256.pem -keyout es256.key 2>/dev/null
  openssl req -new -x509 -newkey rsa:3072 -nodes -days 365 -subj /CN=yardstick -sigopt rsa_padding_mode:pss -sha256 -out ps256.pem -keyout ps256.key 2>/dev/null
  node -e "const c=require('crypto'),f=require('fs');const keys=[['es256','ES256'],['ps256','PS256']].map(([n,alg])=>({...c.createPublicKey(f.readFileSync(n+'.pem')).export({format:'jwk'}),alg,use:'sig',kid:n}));f.writeFileSync('jwks.json',JSON.stringify({keys}))"
fi
tmp=$(mktemp -d)
pids=(); pgdb=""
cleanup() {
  for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  sleep 2
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  if [ -n "$pgdb" ]; then
    psql "$PG_URL" -qc "drop database if exists $pgdb" >/dev/null 2>&1 || true
    psql "$PG_URL" -qc "drop database if exists ${pgdb}_base" >/dev/null 2>&1 || true
    psql "$PG_URL" -qc "drop database if exists ${pgdb}_2w" >/dev/null 2>&1 || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
export CERTMINT_SECRET=${CERTMINT_SECRET:-yardstick-targets-secret-0123456789abcdef}

node floor-server.mjs 3901 . >"$tmp/floor.log" 2>&1 & pids+=($!)
NODE_ENV=production node peer-oidc-provider.mjs 3900 jwks.json >"$tmp/peer.log" 2>&1 & pids+=($!)
names=(floor oidc-provider); urls=(http://127.0.0.1:3901/token http://127.0.0.1:3900/token)
tpids=("${pids[0]}" "${pids[1]}"); ids=(bench-client bench-client); kids=(es256 es256); keys=("$work/es256.key" "$work/es256.key")
# The floor in two node:cluster processes: the machine's own cost of two processes.
if [ "${WORKERS2:-1}" != 0 ]; then
  node "$here/bench/floor-cluster.mjs" floor-server.mjs 2 3902 . >"$tmp/floor-2p.log" 2>&1 & pids+=($!)
  names+=(floor-2p); urls+=(http://127.0.0.1:3902/token); tpids+=($!); ids+=(bench-client); kids+=(es256); keys+=("$work/es256.key")
fi

# The floor plus the two durable records (bench/floor-records.ts): what the contract's replay
# claim and audit row cost at the least, so certmint's ratio can be read against it.
if [ "${RECORDS_FLOOR:-1}" != 0 ]; then
  (cd "$here" && exec node --import tsx bench/floor-records.ts 3903 "$work" records) >"$tmp/floor-records.log" 2>&1 & pids+=($!)
  names+=(floor-records); urls+=(http://127.0.0.1:3903/token); tpids+=($!); ids+=(bench-client); kids+=(es256); keys+=("$work/es256.key")
fi

# One certmint target: NAME PORT DB [serve args…]; its store set up as an administrator would,
# served by the checkout in $tree (this one unless set).
certmint() {
  local name=$1 port=$2 db=$3; shift 3
  local env="$tmp/$name.env"
  (cd "${tree:-$here}" && node --import tsx bench/yardstick-setup.ts "$tmp/$name" 1 ${db:+"$db"}) >"$env"
  # shellcheck disable=SC1090
  source "$env"
  (cd "${tree:-$here}" && exec node bin/certmint.mjs serve --db "$DB" --port "$port" --log-level warn \
    --rate-limit-client 100000000 --rate-limit-address 100000000 "$@") >"$tmp/$name.log" 2>&1 &
  pids+=($!); tpids+=($!)
  for _ in $(seq 1 600); do grep -q listening "$tmp/$name.log" && break; sleep 0.2; done
  grep -q listening "$tmp/$name.log" || { cat "$tmp/$name.log" >&2; exit 2; }
  names+=("$name"); urls+=("http://127.0.0.1:$port/accounts/$ACCOUNT/services/rest/auth/oauth2/v1/token")
  ids+=("$TARGET_CLIENT_ID"); kids+=("$TARGET_KID"); keys+=("$TARGET_KEY")
}
workers_flag=()
# The whole help first, then grep: `grep -q` quitting at the first match made the writer fail
# with EPIPE, pipefail made the test false, and the "1 worker" target ran the default (one
# worker per core) with no 2-worker target.
has_workers() { local help; help=$(cd "$1" && node bin/certmint.mjs serve --help); grep -q -- '--workers' <<<"$help"; }
if has_workers "$here"; then workers_flag=(--workers 1); fi
certmint sqlite-1w 8181 "" "${workers_flag[@]}"
if [ "${WORKERS2:-1}" != 0 ] && [ ${#workers_flag[@]} -gt 0 ]; then certmint sqlite-2w 8182 "" --workers 2; fi
if [ -n "${PG_URL:-}" ]; then
  pgdb=certmint_bench_$$
  psql "$PG_URL" -qc "create database $pgdb" >/dev/null
  certmint postgres-1w 8183 "$(node -e 'const u=new URL(process.argv[1]);u.pathname="/"+process.argv[2];console.log(u.href)' "$PG_URL" "$pgdb")" "${workers_flag[@]}"
  if [ "${PG_WORKERS2:-0}" = 1 ]; then
    psql "$PG_URL" -qc "create database ${pgdb}_2w" >/dev/null
    certmint postgres-2w 8187 "$(node -e 'const u=new URL(process.argv[1]);u.pathname="/"+process.argv[2];console.log(u.href)' "$PG_URL" "${pgdb}_2w")" --workers 2
  fi
fi
if [ -n "${BASELINE:-}" ]; then
  tree=$BASELINE
  base_flag=()
  if has_workers "$tree"; then base_flag=(--workers 1); fi
  certmint sqlite-base 8184 "" "${base_flag[@]}"
  if [ "${WORKERS2:-1}" != 0 ] && [ ${#base_flag[@]} -gt 0 ]; then certmint sqlite-base-2w 8186 "" --workers 2; fi
  if [ -n "${PG_URL:-}" ]; then
    psql "$PG_URL" -qc "create database ${pgdb}_base" >/dev/null
    certmint postgres-base 8185 "$(node -e 'const u=new URL(process.argv[1]);u.pathname="/"+process.argv[2];console.log(u.href)' "$PG_URL" "${pgdb}_base")" "${base_flag[@]}"
  fi
  tree=""
fi

hz=$(getconf CLK_TCK)
# CPU seconds of a process and all its descendants.
tree_cpu() {
  local all=("$1") i=0
  while [ $i -lt ${#all[@]} ]; do
    for c in $(pgrep -P "${all[$i]}" || true); do all+=("$c"); done
    i=$((i + 1))
  done
  local t=0
  for p in "${all[@]}"; do t=$((t + $(awk '{print $14+$15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done
  echo "$t $hz" | awk '{printf "%.2f", $1/$2}'
}
# PostgreSQL: every postgres process, plus what exited backends left in the postmaster's
# children's time (fields 16, 17), so a backend closing during a run does not subtract.
pg_cpu() {
  local t=0
  for p in $(pgrep -u postgres || true); do t=$((t + $(awk '{print $14+$15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done
  for p in $(pgrep -u postgres -o || true); do t=$((t + $(awk '{print $16+$17}' "/proc/$p/stat" 2>/dev/null || echo 0))); done
  echo "$t $hz" | awk '{printf "%.2f", $1/$2}'
}
declare -A expect=()
results=()
# An unmeasured warm-up of every target first: each process JIT-compiles its hot path on its own,
# so without it round 1 charges a 2-process server two warm-ups (each on half the traffic, so
# slower) against one, and with 2 rounds that first round is half the median.
if [ "${WARMUP:-3}" -gt 0 ]; then
  for i in "${!names[@]}"; do
    node gen-bodies.mjs --n $((6000 * WARMUP + 3000)) --client-id "${ids[$i]}" --key "${keys[$i]}" \
      --alg ES256 --kid="${kids[$i]}" --aud "${urls[$i]}" >"$tmp/bodies.txt"
    BODIES=$tmp/bodies.txt NTHREADS=1 TOKEN_PATH=$(node -e "console.log(new URL(process.argv[1]).pathname)" "${urls[$i]}") \
      wrk -t1 -c"$CONNS" -d"${WARMUP}s" -s wrk-bodies.lua "${urls[$i]}" >/dev/null
  done
fi
echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg), nproc $(nproc)"
for r in $(seq 1 "$ROUNDS"); do
  for i in "${!names[@]}"; do
    n=${names[$i]}; url=${urls[$i]}
    # Enough never-reused bodies for twice the last measured rate (at least 2 500/s; the first
    # round: 6 000/s): a body sent twice would be a replay, refused.
    rate=${expect[$n]:-6000}
    [ "$rate" -ge 2500 ] || rate=2500
    node gen-bodies.mjs --n $((rate * DURATION * 2 + 3000)) --client-id "${ids[$i]}" --key "${keys[$i]}" \
      --alg ES256 --kid="${kids[$i]}" --aud "$url" >"$tmp/bodies.txt"
    path=$(node -e "console.log(new URL(process.argv[1]).pathname)" "$url")
    c0=$(tree_cpu "${tpids[$i]}"); g0=$(pg_cpu); l0=$(cut -d' ' -f1 /proc/loadavg)
    line=$(BODIES=$tmp/bodies.txt NTHREADS=1 TOKEN_PATH=$path wrk -t1 -c"$CONNS" -d"${DURATION}s" -s wrk-bodies.lua "$url" | tail -1)
    c1=$(tree_cpu "${tpids[$i]}"); g1=$(pg_cpu)
    out=$(echo "$n $line" | awk -v c0="$c0" -v c1="$c1" -v g0="$g0" -v g1="$g1" -v d="$DURATION" -v l="$l0" '{
      for (i = 2; i <= NF; i++) if ($i ~ /^rps=/) { split($i, kv, "="); rps = kv[2] }
      cpu = c1 - c0; printf "%s cpu_s=%.2f rps_per_cpu=%.0f pg_cpu_s=%.2f load=%s\n", $0, cpu, (cpu > 0 ? rps * d / cpu : 0), g1 - g0, l }')
    echo "round $r $out"
    results+=("$out")
    expect[$n]=$(echo "$out" | grep -o 'rps=[0-9]*' | cut -d= -f2)
  done
done
printf '%s\n' "${results[@]}" | node -e '
const runs = require("fs").readFileSync(0, "utf8").trim().split("\n").map((l) => { const [name, ...kv] = l.split(" ");
  return { name, ...Object.fromEntries(kv.map((x) => x.split("=")).map(([k, v]) => [k, Number(v)])) }; });
const med = (a) => { a = [...a].sort((x, y) => x - y); const m = a.length >> 1; return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2; };
const by = {}; for (const r of runs) (by[r.name] ??= []).push(r);
const s = {}; for (const [n, rs] of Object.entries(by)) s[n] = { rps: med(rs.map((r) => r.rps)), cpu: med(rs.map((r) => r.rps_per_cpu)),
  p50: med(rs.map((r) => r.p50_ms)), p99: med(rs.map((r) => r.p99_ms)), non2xx: rs.reduce((a, r) => a + r.non2xx, 0), pg: med(rs.map((r) => r.pg_cpu_s)) };
console.log("| target | req/s | req/CPU-s | p50 ms | p99 ms | non-2xx | × floor (wall) | × floor (CPU) | × oidc-provider (CPU) |");
console.log("|---|---|---|---|---|---|---|---|---|");
for (const [n, x] of Object.entries(s)) console.log(`| ${n} | ${x.rps} | ${x.cpu} | ${x.p50} | ${x.p99} | ${x.non2xx} | ${(x.rps / s.floor.rps).toFixed(2)} | ${(x.cpu / s.floor.cpu).toFixed(2)} | ${(x.cpu / s["oidc-provider"].cpu).toFixed(2)} |`);
if (s["floor-records"]) console.log(`floor-records vs floor: per CPU-second ${(s["floor-records"].cpu / s.floor.cpu).toFixed(2)} ×; sqlite-1w vs floor-records: ${s["sqlite-1w"] ? (s["sqlite-1w"].cpu / s["floor-records"].cpu).toFixed(2) : "-"} ×`);
if (s["floor-2p"]) console.log(`floor 2 processes vs 1: per CPU-second ${(s["floor-2p"].cpu / s.floor.cpu).toFixed(2)} ×, wall ${(s["floor-2p"].rps / s.floor.rps).toFixed(2)} ×`);
if (s["sqlite-2w"] && s["sqlite-1w"]) console.log(`2 workers vs 1: per CPU-second ${(s["sqlite-2w"].cpu / s["sqlite-1w"].cpu).toFixed(2)} ×, wall ${(s["sqlite-2w"].rps / s["sqlite-1w"].rps).toFixed(2)} ×`);
if (s["sqlite-base-2w"] && s["sqlite-base"]) console.log(`base: 2 workers vs 1: per CPU-second ${(s["sqlite-base-2w"].cpu / s["sqlite-base"].cpu).toFixed(2)} ×, wall ${(s["sqlite-base-2w"].rps / s["sqlite-base"].rps).toFixed(2)} ×`);
for (const [now, base] of [["sqlite-1w", "sqlite-base"], ["sqlite-2w", "sqlite-base-2w"], ["postgres-1w", "postgres-base"]]) if (s[now] && s[base]) console.log(`${now} vs ${base}: per CPU-second ${(s[now].cpu / s[base].cpu).toFixed(2)} ×, wall ${(s[now].rps / s[base].rps).toFixed(2)} ×`);
if (s["postgres-1w"]) console.log(`postgres: median database-server CPU ${s["postgres-1w"].pg} s per run`);'
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
