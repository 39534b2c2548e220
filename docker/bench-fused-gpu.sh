#!/usr/bin/env bash
# Measures fused seeds on a GPU: builds the CUDA variant of sweep (-p:TorchDevice=cuda, which
# swaps libtorch-cpu for TorchSharp-cuda-linux) and runs `sweep bench fused --device cuda`,
# writing the machine, the date, the command and the figures to a Markdown file for
# docs/benchmarks.md ("Fused seeds"). Not yet run: no GPU machine was available when it was written.
#
#   docker/bench-fused-gpu.sh            # build the image from docker/Dockerfile.cuda, run it with --gpus all
#   docker/bench-fused-gpu.sh --host     # build with the .NET 10 SDK on this machine and run the binary
#   docker/bench-fused-gpu.sh -- --k 2 4 8 16 32 --repeats 5    # anything after -- goes to `sweep bench fused`
#
# Needs an NVIDIA driver; with Docker, also the NVIDIA container toolkit (for --gpus).
set -euo pipefail
cd "$(dirname "$0")/.."

mode=docker
if [ "${1:-}" = "--host" ]; then mode=host; shift; fi
if [ "${1:-}" = "--" ]; then shift; fi
# The whole bundled subset (9,000 training images per model): on a GPU this model is small
# enough that per-step overhead, which fusion shares out, decides the throughput.
bench_args=("$@")
if [ ${#bench_args[@]} -eq 0 ]; then bench_args=(--k 2 4 8 16 --repeats 3 --train-limit 10000); fi

out="bench-fused-gpu-$(date -u +%Y-%m-%d).md"
{
  echo "**$(date -u +%Y-%m-%d), $(hostname)**"
  echo
  echo '```'
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
  lscpu | grep -E '^(Model name|CPU\(s\)):' | sed 's/  */ /g'
  echo '```'
  echo
} >"$out"

case "$mode" in
  docker)
    image=sweepcluster:bench-fused-cuda
    docker build -f docker/Dockerfile.cuda -t "$image" .
    command=(docker run --rm --gpus all "$image" bench fused --device cuda "${bench_args[@]}")
    ;;
  host)
    # Published to its own folder, as the image does, so the CPU build's libtorch in bin/ is never mixed in.
    dotnet publish -c Release -p:TorchDevice=cuda -o artifacts/sweep-cuda src/SweepCluster.Cli
    command=(dotnet artifacts/sweep-cuda/sweep.dll bench fused --device cuda "${bench_args[@]}")
    ;;
esac

echo "\`${command[*]}\`" >>"$out"
echo >>"$out"
"${command[@]}" | tee -a "$out"
echo "wrote $out" >&2
