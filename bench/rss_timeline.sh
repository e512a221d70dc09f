#!/usr/bin/env bash
# Peak resident memory of a command over time: samples VmHWM and VmRSS from /proc every 0.5 s,
# with the last line the command printed, so a peak can be put to a phase (e.g. GPTQ's
# quantizing vs writing).
#
#   bench/rss_timeline.sh OUT.txt COMMAND [ARGS...]
# OUT.txt: one line per sample, "seconds VmHWM_kB VmRSS_kB last output line"; the command's
# output goes to OUT.txt.log. Exits with the command's status.
set -uo pipefail
out="$1"
shift
: >"$out"
"$@" >"$out.log" 2>&1 &
pid=$!
start=$(date +%s.%N)
while kill -0 "$pid" 2>/dev/null; do
  mem=$(awk '/VmHWM|VmRSS/ {printf "%s ", $2}' "/proc/$pid/status" 2>/dev/null)
  last=$(tail -c 200 "$out.log" 2>/dev/null | tr '\r' '\n' | tail -1 | cut -c1-80)
  echo "$(echo "$(date +%s.%N) - $start" | bc) $mem$last" >>"$out"
  sleep 0.5
done
wait "$pid"
