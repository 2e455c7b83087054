#!/usr/bin/env bash
# The entrypoint of FedBeam's image (flink-conf/docker/Dockerfile). One image plays every FedBeam
# part of docker-compose.yml; the first argument says which:
#
#   jobmanager [-D key=value ...]   a Flink 1.16 JobManager (standalone session cluster) configured by
#                                   $FLINK_CONF_DIR/flink-conf.yaml (docker-compose.yml mounts the
#                                   role's file from flink-conf/), every address this container's host name,
#                                   and mutual TLS with the party's keys in $FEDBEAM_TLS_DIR (see flink-conf)
#   taskmanager [-D key=value ...]  a TaskManager of the JobManager $FLINK_JOBMANAGER; heap, direct
#                                   memory and metaspace from the file's TaskManager sizes; mutual TLS too
#   flink-conf                      writes the configuration a JobManager or TaskManager would start with
#                                   (flink-conf.yaml, then 'fedbeam cluster tls-conf' of $FEDBEAM_TLS_DIR,
#                                   default /fedbeam/tls: security.ssl.rest.* with authentication and
#                                   security.ssl.internal.*) into a new owner-only folder; prints the folder
#   webui HOST:PORT                 forwards this container's port 8081 to a JobManager's REST port (TCP
#                                   only: the TLS, with the client certificate, is between browser and JobManager)
#   create-containers FILE          creates the blob containers an Azure containers file lists
#   setup-key DIR                   a key pair in DIR unless there is one; prints "public key BASE64"
#   setup-tls DIR NAME HOST...      a Flink cluster's TLS keys in DIR unless it has them ('fedbeam cluster tls':
#                                   SAN 127.0.0.1, localhost and each HOST; an operator certificate)
#   setup-get FILE                  FILE to standard output (e.g. the operator certificate of a TLS volume)
#   setup-fill TEMPLATE OUT         TEMPLATE with every @NAME@ replaced by the variable NAME, to OUT
#   setup-put OUT                   standard input to OUT
#   setup-demo-data PART OUT_DIR    a party's part of the demo data (see ComposeTools.java),
#                                   unless OUT_DIR has that party's files already
#   anything else                   the FedBeam CLI: agent, orchestrate, keys, pipeline, train, --help
#
# The FedBeam job jar is on every Flink process's class path: jobs ship no code (see StandaloneCluster).
set -euo pipefail

home="${FEDBEAM_HOME:-/opt/fedbeam}"
conf="${FLINK_CONF_DIR:-$home/conf}"
log_dir="${FLINK_LOG_DIR:-/tmp/flink-log}"
job_jar="$home/lib/fedbeam-job.jar"
cluster_classpath="$(cat "$home/lib/cluster.classpath")"
host="${FLINK_HOST:-$(hostname)}"
tls_dir="${FEDBEAM_TLS_DIR:-/fedbeam/tls}"
fedbeam_uid=10001

say() { printf 'fedbeam: %s\n' "$*" >&2; }

# Reproducibility (README "Reproducibility"): every FedBeam process trains with the same OpenBLAS kernel,
# Haswell (AVX2 + FMA), unless the container was given one; a CPU without AVX2/FMA keeps OpenBLAS's choice.
if [ -z "${OPENBLAS_CORETYPE:-}" ] && grep -qw avx2 /proc/cpuinfo 2>/dev/null && grep -qw fma /proc/cpuinfo; then
  export OPENBLAS_CORETYPE=Haswell
fi

jvm_flags=(-XX:+UseParallelGC --add-exports=java.base/sun.net.util=ALL-UNNAMED
  --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED
  --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  --add-modules=jdk.incubator.vector)

# The size KEY has in flink-conf.yaml (the last line that sets it), in MiB.
conf_mb() {
  local v
  v="$(awk -v key="$1" -F': *' '$1 == key { v = $2 } END { print v }' "$conf/flink-conf.yaml")"
  v="${v%%#*}"
  v="${v//[[:space:]]/}"
  case "${v,,}" in
    [0-9]*gb | [0-9]*g) echo $((${v%%[gG]*} * 1024)) ;;
    [0-9]*mb | [0-9]*m) echo "${v%%[mM]*}" ;;
    *)
      say "$conf/flink-conf.yaml: $1 must be a size such as 128m or 1g; was '$v' (FedBeam sets every TaskManager size)"
      return 1
      ;;
  esac
}

flink() {
  local process="$1" main="$2"
  shift 2
  mkdir -p "$log_dir"
  exec java "${jvm_flags[@]}" "${heap_flags[@]}" -Dlog.file="$log_dir/$process.log" \
    -Dlog4j.configurationFile="file:$home/conf/log4j-flink.properties" \
    -cp "$cluster_classpath:$job_jar" "$main" --configDir "$conf" "$@"
}

# The FedBeam CLI, with FEDBEAM_JAVA_OPTS (e.g. -Xmx1g) and the cluster's Flink classes, which the job jar leaves out.
read -r -a java_opts <<<"${FEDBEAM_JAVA_OPTS:-}"
cli=(java "${jvm_flags[@]}" "${java_opts[@]}" -Dlog4j.configurationFile="file:$home/conf/log4j-cli.properties"
  -cp "$job_jar:$cluster_classpath" org.fedbeam.pipelines.cli.FedBeam)
tools=(java "${jvm_flags[@]}" -Dlog4j.configurationFile="file:$home/conf/log4j-cli.properties"
  -cp "$home/lib/tools:$job_jar:$cluster_classpath" ComposeTools)

# Setup steps run as root so that they can write into volumes whatever created them; what they
# write belongs to the fedbeam user, who runs the services.
own() {
  if [ "$(id -u)" = 0 ]; then chown -R "$fedbeam_uid:$fedbeam_uid" "$@"; fi
}

put() {
  local out="$1"
  mkdir -p "$(dirname "$out")"
  (umask 077 && cat >"$out.tmp")
  mv "$out.tmp" "$out"
  own "$out"
}

# Every Flink endpoint answers mutual TLS only: the configuration the processes start with is the
# mounted flink-conf.yaml followed by the settings of the party's own keys (the same ones 'fedbeam
# cluster up' writes, printed by 'fedbeam cluster tls-conf'; a later line wins), in a new owner-only
# folder. No keys, no start.
with_tls_conf() {
  if [ ! -f "$tls_dir/tls.properties" ] || [ ! -f "$tls_dir/cluster.p12" ]; then
    say "no Flink TLS keys in $tls_dir (tls.properties, cluster.p12): every Flink endpoint answers mutual TLS only;" \
      "flink-conf/docker/setup.sh makes each party's keys in its '*-tls' volume"
    exit 1
  fi
  local settings run_conf
  settings="$("${cli[@]}" cluster tls-conf --dir "$tls_dir")"
  run_conf="$(mktemp -d "${TMPDIR:-/tmp}/fedbeam-flink-conf.XXXXXX")"
  (
    umask 077
    {
      cat "$conf/flink-conf.yaml"
      printf '\n# FedBeam (entrypoint.sh): mutual TLS on REST and the web UI, RPC, blob and data; keys in %s\n' "$tls_dir"
      printf '%s\n' "$settings"
    } >"$run_conf/flink-conf.yaml"
  )
  conf="$run_conf"
}

command="${1:-help}"
[ $# -gt 0 ] && shift
case "$command" in
  jobmanager)
    with_tls_conf
    heap_flags=(-Xms448m -Xmx448m -XX:MaxMetaspaceSize=256m)
    flink jobmanager org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint \
      -D "jobmanager.rpc.address=$host" -D "jobmanager.bind-host=$host" \
      -D "rest.address=$host" -D "rest.bind-address=$host" "$@"
    ;;
  taskmanager)
    jobmanager="${FLINK_JOBMANAGER:?set FLINK_JOBMANAGER to the host name of the JobManager of this TaskManager}"
    with_tls_conf
    framework_heap="$(conf_mb taskmanager.memory.framework.heap.size)"
    task_heap="$(conf_mb taskmanager.memory.task.heap.size)"
    framework_off_heap="$(conf_mb taskmanager.memory.framework.off-heap.size)"
    task_off_heap="$(conf_mb taskmanager.memory.task.off-heap.size)"
    network="$(conf_mb taskmanager.memory.network.max)"
    metaspace="$(conf_mb taskmanager.memory.jvm-metaspace.size)"
    heap=$((framework_heap + task_heap))
    heap_flags=(-Xms"${heap}m" -Xmx"${heap}m" -XX:MaxDirectMemorySize=$((framework_off_heap + task_off_heap + network))m
      -XX:MaxMetaspaceSize="${metaspace}m")
    flink taskmanager org.apache.flink.runtime.taskexecutor.TaskManagerRunner \
      -D "jobmanager.rpc.address=$jobmanager" -D "taskmanager.host=$host" -D "taskmanager.bind-host=$host" "$@"
    ;;
  flink-conf)
    with_tls_conf
    echo "$conf"
    ;;
  webui)
    target="${1:?usage: webui JOBMANAGER_HOST:REST_PORT}"
    exec socat "TCP-LISTEN:8081,fork,reuseaddr" "TCP:$target"
    ;;
  create-containers)
    exec "${tools[@]}" create-containers "${1:?usage: create-containers FILE}"
    ;;
  setup-key)
    dir="${1:?usage: setup-key DIR}"
    if [ -f "$dir/private.pem" ]; then
      say "keeping the key pair in $dir"
      echo "public key $(grep -v -- '-----' "$dir/public.pem" | tr -d '\n')"
    else
      "${cli[@]}" keys new --out "$dir" | grep '^public key'
    fi
    own "$dir"
    chmod 700 "$dir"
    ;;
  setup-tls)
    dir="${1:?usage: setup-tls DIR NAME HOST...}"
    name="${2:?usage: setup-tls DIR NAME HOST...}"
    shift 2
    hosts="$(IFS=,; echo "$*")"
    "${cli[@]}" cluster tls --dir "$dir" --name "$name" ${hosts:+--hosts "$hosts"}
    own "$dir"
    chmod 700 "$dir"
    ;;
  setup-get)
    file="${1:?usage: setup-get FILE}"
    cat -- "$file"
    ;;
  setup-fill)
    template="${1:?usage: setup-fill TEMPLATE OUT}"
    out="${2:?usage: setup-fill TEMPLATE OUT}"
    text="$(cat "$template")"
    for name in $(grep -o '@[A-Z][A-Z0-9_]*@' "$template" | tr -d '@' | sort -u); do
      if [ -z "${!name:-}" ]; then
        say "$template needs the variable $name"
        exit 2
      fi
      text="${text//@$name@/${!name}}"
    done
    printf '%s\n' "$text" | put "$out"
    say "wrote $out"
    ;;
  setup-put)
    put "${1:?usage: setup-put OUT}"
    ;;
  setup-demo-data)
    part="${1:?usage: setup-demo-data silo-00|silo-01|orchestrator OUT_DIR}"
    out="${2:?usage: setup-demo-data PART OUT_DIR}"
    case "$part" in
      orchestrator) files=("$out/validation.fbds" "$out/test.fbds") ;;
      *) files=("$out/train.fbds") ;;
    esac
    for file in "${files[@]}"; do
      if [ -f "$file" ]; then
        say "keeping the data in $out ($file is there)"
        exit 0
      fi
    done
    "${tools[@]}" demo-data "$part" "$out"
    own "$out"
    ;;
  help | -h | --help)
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
    ;;
  *)
    exec "${cli[@]}" "$command" "$@"
    ;;
esac
