# Sourced by run_all.sh and run_sensitive.sh: the Debian packages training needs, and the runtime
# environment measured in training/README.md ("Runtime environment"). Sets PY and JEMALLOC.
PY=/usr/bin/python3
JEMALLOC=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2
need=()
$PY -c "import torch, numpy" 2>/dev/null || need+=(python3-torch python3-numpy)
$PY -c "import regex" 2>/dev/null || need+=(python3-regex)
[ -e "$JEMALLOC" ] || need+=(libjemalloc2)
dpkg -s libopenblas0-pthread >/dev/null 2>&1 || need+=(libopenblas0-pthread)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

# OpenBLAS 0.3.21's AVX-512 kernels only where the CPU has AVX-512 (elsewhere they would fault).
grep -qw avx512f /proc/cpuinfo && export OPENBLAS_CORETYPE=SkylakeX
export OMP_WAIT_POLICY=PASSIVE                          # sleep, don't spin, when a core is taken
export MALLOC_CONF=dirty_decay_ms:-1,muzzy_decay_ms:-1  # jemalloc keeps freed pages mapped
