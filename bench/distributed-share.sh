#!/usr/bin/env bash
# The CPU share outside the engine in the distributed mode: `align broker`, a private redis-server and
# rabbitmq-server, and the three stages as separate `align run` processes with the cached base model.
# Prompts are pushed all at once (the stages then run at full load, held back only by backpressure);
# after a warm-up each stage's /metrics is read twice and the share is computed from
# align_<stage>_engine_cpu_seconds_total against align_host_process_cpu_seconds_total. The generator's
# publish-to-serving histogram gives the policy versions' mean latency and bucket bounds for p50 and max.
#
#   bench/distributed-share.sh [WARMUP_SECONDS=40] [MEASURE_SECONDS=90]
#
# Needs `./align` to have run once (packages, the Release build and .cache/models/base).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
warmup=${1:-40}
measure=${2:-90}
align=(dotnet "$root/tools/align/bin/Release/net10.0/align.dll")
model="$root/.cache/models/base"
[ -f "$model/config.json" ] || { echo "no base model in $model: run ./align once first" >&2; exit 2; }
work=$(mktemp -d)
mkdir -p "$work"/{mnesia,log,home,weights,trainer}
echo "[]." > "$work/plugins"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
  # rabbitmq-server's script starts beam.smp and a private epmd; both carry the epmd port on their command line.
  pkill -9 -f -- "-epmd_port $epmd_port" 2>/dev/null || true
  for e in $(pgrep -x epmd || true); do
    tr '\0' '\n' < "/proc/$e/environ" 2>/dev/null | grep -qx "ERL_EPMD_PORT=$epmd_port" && kill -9 "$e" 2>/dev/null || true
  done
  rm -rf "$work"
}
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
redis_port=$(free_port); amqp_port=$(free_port); dist_port=$(free_port); epmd_port=$(free_port)
trap cleanup EXIT

redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes --logfile "$work/redis.log"
env RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT="$amqp_port" RABBITMQ_DIST_PORT="$dist_port" \
  RABBITMQ_NODENAME="align-share-$amqp_port@localhost" RABBITMQ_MNESIA_BASE="$work/mnesia" RABBITMQ_LOG_BASE="$work/log" \
  RABBITMQ_ENABLED_PLUGINS_FILE="$work/plugins" HOME="$work/home" ERL_EPMD_ADDRESS=127.0.0.1 ERL_EPMD_PORT="$epmd_port" \
  /usr/lib/rabbitmq/bin/rabbitmq-server > "$work/rabbit.out" 2>&1 &
pids+=($!)
"${align[@]}" broker > "$work/broker.out" 2>&1 &
pids+=($!)
broker_pid=$!
wait_for() { for _ in $(seq "$2"); do eval "$1" && return 0; sleep 1; done; echo "timed out waiting for: $3" >&2; exit 1; }
wait_for "grep -q bootstrap= '$work/broker.out'" 60 "the broker's bootstrap line"
bootstrap=$(grep -o 'bootstrap=.*' "$work/broker.out" | head -1 | cut -d= -f2)
wait_for "(echo > /dev/tcp/127.0.0.1/$amqp_port) 2>/dev/null" 120 "rabbitmq-server"

common=(--Kafka:BootstrapServers="$bootstrap" --Redis:Configuration="127.0.0.1:$redis_port" --State:Store=Redis
  --Bus:Transport=RabbitMq --RabbitMq:Uri="amqp://guest:guest@127.0.0.1:$amqp_port/" --Model:Path="$model"
  --Weights:Store="$work/weights" --Weights:SigningKey="share-bench-$(date +%s%N)" --Scorer:RewardModels=length,afinn)
declare -A port
for stage in generator scorer trainer; do port[$stage]=$(free_port); done
"${align[@]}" run generator "${common[@]}" --Metrics:Port="${port[generator]}" --Generator:Defaults:Candidates=4 \
  --Generator:Defaults:MaxNewTokens=32 --Generator:WeightsPollSeconds=1 > "$work/generator.out" 2>&1 &
pids+=($!)
"${align[@]}" run scorer "${common[@]}" --Metrics:Port="${port[scorer]}" > "$work/scorer.out" 2>&1 &
pids+=($!)
"${align[@]}" run trainer "${common[@]}" --Metrics:Port="${port[trainer]}" --Trainer:BatchSize=8 --Trainer:MaxBatchWaitMs=500 \
  --Trainer:CheckpointDirectory="$work/trainer" > "$work/trainer.out" 2>&1 &
pids+=($!)
for stage in generator scorer trainer; do
  wait_for "curl -sf http://127.0.0.1:${port[$stage]}/readyz > /dev/null" 180 "$stage to be ready"
done

/usr/bin/python3 - "$work/prompts.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(20000):
        sentiment = i % 2 == 0
        f.write(json.dumps({"text": f"Day {i}: the weather was" if sentiment else f"{i % 50}+{i % 37}=",
                            "task": "sentiment" if sentiment else "arith"}) + "\n")
PY
"${align[@]}" prompts push --file "$work/prompts.jsonl" --bootstrap "$bootstrap" >&2
echo "warm-up ${warmup} s, then ${measure} s measured" >&2
sleep "$warmup"
scrape() {
  for stage in generator scorer trainer; do
    curl -sf "http://127.0.0.1:${port[$stage]}/metrics" | awk -v s="$stage" '
      $1 == "align_" s "_engine_cpu_seconds_total" { e = $2 }
      $1 == "align_host_process_cpu_seconds_total" { p = $2 }
      END { print s, e, p }'
  done
  awk '{ print "broker", 0, ($14 + $15) / 100 }' "/proc/$broker_pid/stat"
}
scrape > "$work/before"
sleep "$measure"
scrape > "$work/after"
curl -sf "http://127.0.0.1:${port[generator]}/metrics" > "$work/generator.metrics"
/usr/bin/python3 - "$work/before" "$work/after" "$measure" "$work/generator.metrics" <<'PY'
import json, re, sys
read = lambda path: {l.split()[0]: (float(l.split()[1]), float(l.split()[2])) for l in open(path)}
before, after = read(sys.argv[1]), read(sys.argv[2])
# Publish -> serving of policy versions at the generator over the whole run, from its histogram: the mean, and the
# bucket bounds that hold the median and the slowest version.
buckets, total, count = [], 0.0, 0.0
for line in open(sys.argv[4]):
    if not line.startswith("align_weights_publish_to_serving_seconds") or 'kind="policy"' not in line:
        continue
    name, value = line.rsplit(" ", 1)
    if name.startswith("align_weights_publish_to_serving_seconds_bucket"):
        le = re.search(r'le="([^"]+)"', name).group(1)
        buckets.append((float("inf") if le == "+Inf" else float(le), float(value)))
    elif name.startswith("align_weights_publish_to_serving_seconds_sum"):
        total = float(value)
    elif name.startswith("align_weights_publish_to_serving_seconds_count"):
        count = float(value)
buckets.sort()
bound = lambda q: next((le for le, c in buckets if c >= q * count), None)
serving = {"versions": int(count), "mean_s": round(total / count, 4) if count else None,
           "p50_at_most_s": bound(0.5) if count else None, "max_at_most_s": bound(1.0) if count else None}
report, engine, process = {"seconds": float(sys.argv[3]), "stages": {}}, 0.0, 0.0
for stage in ("generator", "scorer", "trainer"):
    e = after[stage][0] - before[stage][0]
    p = after[stage][1] - before[stage][1]
    engine, process = engine + e, process + p
    report["stages"][stage] = {"engine_cpu_s": round(e, 2), "process_cpu_s": round(p, 2), "share_outside_engine": round(1 - e / p, 4)}
report["share_outside_engine"] = round(1 - engine / process, 4)
report["broker_process_cpu_s"] = round(after["broker"][1] - before["broker"][1], 2)
report["publish_to_serving"] = serving
print(json.dumps(report))
PY
