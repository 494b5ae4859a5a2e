#!/usr/bin/env bash
# Everything issue 5 asks of a machine with an NVIDIA GPU, in one command:
#   1. the `gpu` tests (every algorithm against the float64 reference, repeat runs bit for bit,
#      out-of-memory and launch errors, the device memory guard, CUDA-event timing);
#   2. the standard suite, every cupy algorithm against cuDNN (IEEE and TF32) and the CPU;
#   3. a channel sweep, to check where choose_algorithm switches to implicit GEMM.
# Results go to $OUT (the device tool's folder) or ./gpu-results. Needs only NumPy, CuPy
# (cupy-cuda12x or cupy-cuda13x), pytest and hypothesis; PyTorch adds the cuDNN peers.
# No PyQt6 is needed: the tests that run here import no Qt.
#
#   bash benchmarks/gpu_verify.sh            # all three parts
#   bash benchmarks/gpu_verify.sh tests      # only the tests
set -uo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-gpu-results}"
mkdir -p "$out"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
python=${PYTHON:-python3}
status=0

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1 | tee "$out/device.txt"
"$python" - <<'EOF' 2>&1 | tee -a "$out/device.txt"
import cupy
from convviz.backends.cupy_backend import CupyBackend
backend = CupyBackend()
print("cupy", cupy.__version__, "| available:", backend.available().ok, backend.available().reason, "|", backend.device)
raise SystemExit(0 if backend.available() else 3)
EOF
[ "${PIPESTATUS[0]}" -eq 0 ] || { echo "gpu_verify: the cupy backend cannot run here; nothing verified" >&2; exit 3; }

"$python" -m pytest -p no:cacheprovider -o addopts="" -m gpu -rs -q tests/backends/test_cupy_gpu.py 2>&1 \
    | tee "$out/gpu-tests.txt"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
[ "${1:-all}" = tests ] && exit $status

"$python" main.py bench --suite standard --backends numpy,cupy,torch-cpu,torch-cuda --algorithms all \
    --json "$out/standard.json" --markdown "$out/standard.md" 2>"$out/standard-progress.txt"
[ $? -eq 0 ] || status=1
"$python" main.py bench --input 56 --kernel 3 --padding same --out-channels 64 --sweep channels \
    --values 1,4,8,16,32,64,128 --backends cupy,torch-cuda --algorithms all \
    --json "$out/channels.json" --markdown "$out/channels.md" --no-roofline 2>"$out/channels-progress.txt"
[ $? -eq 0 ] || status=1
exit $status
