#!/usr/bin/env bash
# prreview side by side with pr-agent 0.49 (the best-known open-source AI reviewer), in one run, on the
# same two repositories (make_repos.py): a ~150-line change across 4 files of a real library, and a
# 40-file ~3,000-line change. Each tool talks to its own loopback model with the same latency (pr-agent's
# answers in pr-agent's YAML, prreview's answers "no findings" in prreview's JSON). Rounds alternate the
# tools so that machine noise hits both; the table prints medians and prreview/pr-agent ratios.
#
#   PRREVIEW=$(command -v prreview) bash benchmarks/peer/run.sh          # ROUNDS=3 LATENCY=1.0
#   PRREVIEW_ARGS="--depth deep" ...       extra `prreview run` arguments (a depth, --summary-call)
#
# First run installs pr-agent 0.49.0 into $PEER_VENV (default ~/.cache/prreview-bench/pr-agent-venv)
# with a Python >= 3.12 (pr-agent needs it; set PY312 to choose one). Only loopback traffic.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROUNDS=${ROUNDS:-3} LATENCY=${LATENCY:-1.0}
read -r -a PR_ARGS <<<"${PRREVIEW_ARGS:-}"
PRREVIEW=${PRREVIEW:-$(command -v prreview || true)}
W=${SBS_WORK:-${TMPDIR:-/tmp}/prreview-bench-peer}
PEER_VENV=${PEER_VENV:-$HOME/.cache/prreview-bench/pr-agent-venv}
[ -x "$PRREVIEW" ] || { echo "set PRREVIEW to the prreview executable"; exit 1; }
if [ ! -x "$PEER_VENV/bin/pr-agent" ]; then
  if [ -z "${PY312:-}" ]; then
    for c in python3.13 python3.12 "$HOME"/.pyenv/versions/3.1[23]*/bin/python3 python3; do
      if "$c" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then PY312=$c; break; fi
    done
  fi
  [ -n "${PY312:-}" ] || { echo "need Python >= 3.12 for pr-agent (set PY312)"; exit 1; }
  rm -rf "$PEER_VENV"; "$PY312" -m venv "$PEER_VENV"
  "$PEER_VENV/bin/pip" install -q "pr-agent==0.49.0" 2>&1 | grep -v '^WARNING: Location' || true
fi
PA_BIN=$PEER_VENV/bin/pr-agent
PY=$PEER_VENV/bin/python
SITE=$("$PY" -c 'import sysconfig;print(sysconfig.get_paths()["purelib"])')
export TIKTOKEN_CACHE_DIR="$SITE/litellm/litellm_core_utils/tokenizers" LITELLM_LOCAL_MODEL_COST_MAP=True
rm -rf "$W"; mkdir -p "$W"
"$PY" "$HERE/make_repos.py" "$W/repos" >/dev/null

: >"$W/pa.jsonl"; : >"$W/pr.jsonl"
port_of() { for _ in $(seq 100); do p=$(sed -n 's/^PORT \([0-9]*\).*/\1/p' "$1" | head -1); [ -n "$p" ] && { echo "$p"; return; }; sleep 0.1; done; }
# pr-agent's own fake answers in pr-agent's YAML; prreview's fake answers "no findings" in its JSON
"$PY" "$HERE/pragent_fake_llm.py" --port 18181 --log "$W/pa.jsonl" --latency "$LATENCY" --focus-regex 'delay < self.max' >"$W/pa.out" 2>&1 &
PA_PID=$!
python3 "$HERE/prreview_fake_llm.py" --port 0 --mode empty --latency "$LATENCY" --log "$W/pr.jsonl" --log-bodies --max-seconds 1800 >"$W/pr.out" 2>&1 &
PR_PID=$!
trap 'kill $PA_PID $PR_PID 2>/dev/null || true' EXIT
PR_PORT=$(port_of "$W/pr.out")
for _ in $(seq 50); do curl -fs http://127.0.0.1:18181/health >/dev/null 2>&1 && break; sleep 0.2; done

# one NAME TOOL REPO ARGS...: runs one review, appends {name, tool, wall, first, calls, tokens, rss_kb}
one() {
  local name=$1 tool=$2 repo=$3; shift 3
  local log=$W/$tool.jsonl before; before=$(wc -l <"$log" 2>/dev/null || echo 0)
  local t0; t0=$(date +%s.%N)
  if [ "$tool" = pa ]; then
    (cd "$repo" && env CONFIG__GIT_PROVIDER=local CONFIG__MODEL=gpt-4o CONFIG__FALLBACK_MODELS='[]' OPENAI__KEY=sk-fake-local \
      OPENAI__API_BASE=http://127.0.0.1:18181/v1 LOCAL__REVIEW_PATH="$W/$name.md" "$@" \
      /usr/bin/time -f '%M' -o "$W/$name.rss" "$PA_BIN" --pr_url main review) >"$W/$name.log" 2>&1 || true
  else
    rm -rf "$W/cache-$name"
    (cd "$repo" && env OPENAI_API_KEY=sk-fake-local PRREVIEW_CACHE_DIR="$W/cache-$name" \
      /usr/bin/time -f '%M' -o "$W/$name.rss" "$PRREVIEW" run --base main --model openai/gpt-4o \
      --api-base "http://127.0.0.1:$PR_PORT/v1" --fail-on none ${PR_ARGS[@]+"${PR_ARGS[@]}"} "$@" --output json="$W/$name.json") >"$W/$name.log" 2>&1 || true
  fi
  local t1; t1=$(date +%s.%N)
  "$PY" - "$name" "$tool" "$t0" "$t1" "$before" "$log" "$W/$name.rss" >>"$W/rows.jsonl" <<'EOF'
import json, sys, tiktoken
name, tool, t0, t1, before, log, rss = sys.argv[1:]
enc = tiktoken.get_encoding("cl100k_base")
rows = [json.loads(l) for l in open(log)][int(before):]
rows = [r for r in rows if r.get("method", "POST") != "GET" and "event" not in r]
def tokens(r):
    if "cl100k_tokens" in r:
        return r["cl100k_tokens"]
    msgs = (r.get("body") or {}).get("messages", [])
    return sum(len(enc.encode(m["content"] if isinstance(m.get("content"), str) else json.dumps(m.get("content")))) for m in msgs)
firsts = [r.get("ts") if "cl100k_tokens" in r else r.get("t_start") for r in rows]
firsts = [f for f in firsts if f]
try:
    rss_kb = int(open(rss).read().split()[-1])
except (OSError, ValueError, IndexError):
    rss_kb = None
print(json.dumps({"name": name, "tool": tool, "wall": float(t1) - float(t0),
                  "first": (min(firsts) - float(t0)) if firsts else None, "calls": len(rows),
                  "tokens": sum(tokens(r) for r in rows), "rss_kb": rss_kb}))
EOF
}
S=$W/repos/small L=$W/repos/large
for r in $(seq "$ROUNDS"); do
  one small pa "$S"; one small pr "$S"
  one large pa "$L" PR_REVIEWER__ENABLE_LARGE_PR_CHUNKING=true; one large pr "$L"
done
# the cached re-run: prreview twice on the same cache (pr-agent has no cache: its small row stands)
rm -rf "$W/cache-rerun"
(cd "$S" && OPENAI_API_KEY=sk-fake-local PRREVIEW_CACHE_DIR="$W/cache-rerun" "$PRREVIEW" run --base main --model openai/gpt-4o \
  --api-base "http://127.0.0.1:$PR_PORT/v1" --fail-on none >/dev/null 2>&1) || true
for r in $(seq "$ROUNDS"); do
  before=$(wc -l <"$W/pr.jsonl"); t0=$(date +%s.%N)
  (cd "$S" && OPENAI_API_KEY=sk-fake-local PRREVIEW_CACHE_DIR="$W/cache-rerun" "$PRREVIEW" run --base main --model openai/gpt-4o \
    --api-base "http://127.0.0.1:$PR_PORT/v1" --fail-on none >/dev/null 2>&1) || true
  t1=$(date +%s.%N); after=$(wc -l <"$W/pr.jsonl")
  echo "{\"name\": \"rerun\", \"tool\": \"pr\", \"wall\": $(python3 -c "print($t1-$t0)"), \"first\": null, \"calls\": $((after - before)), \"tokens\": 0, \"rss_kb\": null}" >>"$W/rows.jsonl"
done
python3 - "$W/rows.jsonl" "$LATENCY" <<'EOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
def med(name, tool, key):
    v = [r[key] for r in rows if r["name"] == name and r["tool"] == tool and r[key] is not None]
    return statistics.median(v) if v else None
print(f"side by side, loopback latency {sys.argv[2]} s, medians of {max(1, len([r for r in rows if r['name']=='small' and r['tool']=='pa']))} rounds")
print(f"{'scenario':<28}{'metric':<10}{'pr-agent':>12}{'prreview':>12}{'ratio':>8}")
def line(label, name_pa, name_pr, key, fmt="{:.2f}"):
    a, b = med(name_pa, "pa", key), med(name_pr, "pr", key)
    ra = f"{b / a:.2f}" if a and b is not None else "-"
    fa = fmt.format(a) if a is not None else "-"
    fb = fmt.format(b) if b is not None else "-"
    print(f"{label:<28}{key:<10}{fa:>12}{fb:>12}{ra:>8}")
for key, fmt in (("wall", "{:.2f}"), ("first", "{:.2f}"), ("calls", "{:.0f}"), ("tokens", "{:.0f}"), ("rss_kb", "{:.0f}")):
    line("small (4 files, ~150 lines)", "small", "small", key, fmt)
for key, fmt in (("wall", "{:.2f}"), ("first", "{:.2f}"), ("calls", "{:.0f}"), ("tokens", "{:.0f}"), ("rss_kb", "{:.0f}")):
    line("large (40 files, chunked)", "large", "large", key, fmt)
a, b = med("small", "pa", "wall"), med("rerun", "pr", "wall")
print(f"{'identical re-run':<28}{'wall':<10}{a:>12.2f}{b:>12.2f}{b / a:>8.2f}   (pr-agent has no cache: its small run)")
print(f"prreview re-run requests: {sum(r['calls'] for r in rows if r['name'] == 'rerun')}")
EOF
