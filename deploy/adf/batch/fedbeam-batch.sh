#!/usr/bin/env bash
# FedBeam on an Azure Batch node, as the ADF Custom activity runs it (deploy/adf/pipeline):
#   bash fedbeam-batch.sh orchestrate --job JOB.json --resume-or-start --max-new-rounds N
# FedBeam's class path is $FEDBEAM_CLASSPATH if set, else every jar in $FEDBEAM_HOME/lib (default
# /opt/fedbeam/lib), which the pool's start task installs (docs/scheduling.md). The BLAS kernel is
# pinned unless the caller set one, so the same seed gives the same model on any node of the pool.
set -euo pipefail
home="${FEDBEAM_HOME:-/opt/fedbeam}"
classpath="${FEDBEAM_CLASSPATH:-$home/lib/*}"
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
export OPENBLAS_CORETYPE="${OPENBLAS_CORETYPE:-Haswell}"
exec "$java" --add-opens=java.base/java.lang=ALL-UNNAMED --add-exports=java.base/sun.net.util=ALL-UNNAMED \
  -cp "$classpath" org.fedbeam.pipelines.cli.FedBeam "$@"
