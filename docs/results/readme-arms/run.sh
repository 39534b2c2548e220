#!/usr/bin/env bash
# Reproduces the README's table of the four arms: 3 seeds on the bundled Fashion-MNIST subset,
# one epoch per phase, Adam lr 1e-4, batch 64, head continued. Writes one JSON record per trial.
set -euo pipefail
cd "$(dirname "$0")"
dotnet build -c Release ../../../src/SweepCluster.Cli >/dev/null
sweep=../../../src/SweepCluster.Cli/bin/Release/net10.0/sweep
for seed in 1 2 3; do
  for arm in true noisy random-frozen head-only; do
    "$sweep" trial --arm "$arm" --seed "$seed" --data fashion-mnist-subset --json --out "$arm-$seed.json" >/dev/null
  done
done
