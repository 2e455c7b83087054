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
if [ -z "${OPENBLAS_CORETYPE:-}" ] && grep -qw avx2 /proc/cpuinfo 2>/dev/null && grep -qw fma /proc/cpuinfo; then
  export OPENBLAS_CORETYPE=Haswell
fi
# The Custom activity builds this command line by concatenating pipeline parameters, and Batch splits it
# on spaces: a parameter holding a space or a leading '-' would smuggle in flags of its own
# (e.g. jobFile "job.json --overwrite"). A slice runs exactly one form, checked here.
if [ "$#" -ne 6 ] || [ "$1" != orchestrate ] || [ "$2" != --job ] || [ "$4" != --resume-or-start ] \
    || [ "$5" != --max-new-rounds ] || ! [[ "$6" =~ ^[1-9][0-9]{0,5}$ ]] || [[ "$3" == -* ]]; then
  echo "fedbeam-batch.sh: expected: orchestrate --job JOB.json --resume-or-start --max-new-rounds N (N >= 1);" \
    "got $# argument(s): $*" >&2
  echo "fedbeam-batch.sh: check the pipeline parameters jobFile (one path, no spaces) and newRounds (a number)" >&2
  exit 2
fi
exec "$java" --add-opens=java.base/java.lang=ALL-UNNAMED --add-exports=java.base/sun.net.util=ALL-UNNAMED \
  -cp "$classpath" org.fedbeam.pipelines.cli.FedBeam "$@"
