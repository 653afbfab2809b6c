#!/usr/bin/env bash
# Family v3 recipe probe: runs variants of scripts/gpu-host/proxy_recipe.py side by side, detached, so
# they outlive the device command's 10 minutes; results stay in runs/proxy/ (ignored, kept on a warm host).
#   here:  npm run data; mkdir -p .gpu-v3; (a folder v3/ holding tokens/, tokenizer.json, the suites'
#          factoid_qa/mcq/icr_qa/long_context .jsonl and corpus/heldout.jsonl, as .gpu-v3/proxy-data.tar.xz)
#   host:  bash scripts/gpu-host/proxy-skills.sh start KIT "name:variant:arch:epochs:lr:ctx:ctx_final:final_frac:rope_theta[:extra]" ...
#          (extra: more proxy_recipe.py flags joined by +, e.g. --doc-windows+--time-budget+420)
#          bash scripts/gpu-host/proxy-skills.sh wait SECS   (progress; returns early when every run wrote its JSON)
#          bash scripts/gpu-host/proxy-skills.sh pack        (the JSON results and logs into $OUT; the .pt weights stay)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=runs/proxy
case "${1:?usage: proxy-skills.sh start KIT RUN... | wait SECS | pack}" in
  start)
    kit=${2:?start KIT RUN...}; shift 2
    mkdir -p "$out" /tmp/proxy
    for t in "$kit"/proxy-data*.tar.xz; do [ -e "$t" ] && tar -xJf "$t" -C /tmp/proxy; done
    : > "$out/runs.txt"
    for run in "$@"; do
      IFS=: read -r name variant arch epochs lr ctx ctxf frac theta extra <<<"$run"
      echo "$name" >> "$out/runs.txt"
      setsid nohup python3 scripts/gpu-host/proxy_recipe.py --data "/tmp/proxy/$variant" --arch "$arch" --epochs "$epochs" --lr "$lr" \
        --ctx "$ctx" --ctx-final "$ctxf" --final-frac "$frac" --rope-theta "$theta" ${extra:+${extra//+/ }} --out "$out/$name.json" > "$out/$name.log" 2>&1 < /dev/null &
    done
    sleep 30; tail -n 1 "$out"/*.log ;;
  wait)
    end=$(( $(date +%s) + ${2:-60} ))
    while [ "$(date +%s)" -lt "$end" ]; do
      left=0
      while read -r n; do [ -f "$out/$n.json" ] || grep -q "Traceback\|Error" "$out/$n.log" || left=$((left + 1)); done < "$out/runs.txt"
      [ "$left" -eq 0 ] && break
      sleep 15
    done
    for f in "$out"/*.log; do echo "== $f"; tail -n 2 "$f"; done
    nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv ;;
  pack)
    tar -czf "${OUT:?OUT not set}/proxy-results.tar.gz" --exclude="*.pt" "$out"; ls -la "$OUT" ;;
  *) echo "unknown command $1" >&2; exit 2 ;;
esac
