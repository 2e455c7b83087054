#!/usr/bin/env bash
# Prepares docker-compose.yml's volumes, with the stack stopped. Run from anywhere:
#
#   flink-conf/docker/setup.sh          everything below, then: docker compose up --build
#   flink-conf/docker/setup.sh job      only a new job file (a new job id), to run the job again
#
# Each step runs in a one-shot container of one party (the '*-setup' services: no network, only
# that party's volumes and its templates from flink-conf/docker/PARTY/); what crosses from one
# party to another goes through this script and is public (public keys, the pipeline's digest)
# or is the storage operator's to hand out (each exchange account's key):
#   1. each party makes its own Ed25519 key pair (kept if it has one), and each party with a Flink
#      cluster (orchestrator, silo-a, silo-b) its cluster's TLS keys in its '*-tls' volume ('fedbeam
#      cluster tls', kept if there: SAN 127.0.0.1, localhost and its JobManager's and TaskManager's
#      host names; an operator certificate for the web UI), which never leave that volume;
#   2. each silo approves the silo pipeline of its own image (its SHA-256) and trusts the
#      orchestrator's public key: its policy, from policy.template.json;
#   3. the storage operator makes a new key for each exchange's storage account; Azurite gets all,
#      each silo the key of its own exchange, the orchestrator those of both exchanges;
#   4. the orchestrator's job file names each silo's exchange and public key (job.template.json);
#   5. demo data, unless a party's data volume has its files already: the same deterministic
#      split of Fashion-MNIST into two silos, each party keeping only its own part.
# Bring your own data instead by writing it into the volume before this script, e.g.
#   docker compose --profile setup run --rm -T silo-a-setup setup-put /fedbeam/data/train.fbds < shard.fbds
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
say() { printf 'setup: %s\n' "$*" >&2; }

docker compose version >/dev/null 2>&1 || { say "needs Docker Compose v2 ('docker compose')"; exit 1; }

# a one-shot step of a party: 'step PARTY-setup ARGS...' (its standard input and output are this script's)
step() {
  docker compose --profile setup run --rm -T "$@"
}

# the public key of a party's key pair (made now unless it has one), Base64 as policies and jobs write it
public_key() {
  local key
  key="$(step "$1" setup-key /fedbeam/config/key | sed -n 's/^public key //p')"
  [ -n "$key" ] || { say "$1: no public key"; exit 1; }
  echo "$key"
}

write_job() {
  SILO_A_PUBLIC_KEY="$(public_key silo-a-setup)"
  SILO_B_PUBLIC_KEY="$(public_key silo-b-setup)"
  JOB_ID="compose-$(date -u +%Y%m%d-%H%M%S)"
  export SILO_A_PUBLIC_KEY SILO_B_PUBLIC_KEY JOB_ID
  step -e SILO_A_PUBLIC_KEY -e SILO_B_PUBLIC_KEY -e JOB_ID orchestrator-setup \
    setup-fill /fedbeam/templates/job.template.json /fedbeam/config/job.json
  say "job $JOB_ID: 'docker compose up -d orchestrator' runs it"
}

if [ "${1:-}" = job ]; then
  write_job
  exit 0
elif [ $# -gt 0 ]; then
  say "usage: $0 [job]"
  exit 2
fi

if [ -n "$(docker compose ps -q 2>/dev/null)" ]; then
  say "the stack is running: stop it first ('docker compose down'; the volumes stay)"
  exit 1
fi

say "building the image"
docker compose --profile setup build

say "1. key pairs, and each Flink cluster's TLS keys"
ORCHESTRATOR_PUBLIC_KEY="$(public_key orchestrator-setup)"
export ORCHESTRATOR_PUBLIC_KEY
for party in orchestrator silo-a silo-b; do
  step "$party-setup" setup-tls /fedbeam/tls "$party" "$party-jobmanager" "$party-taskmanager"
done

say "2. silo policies"
for silo in silo-a silo-b; do
  PIPELINE_SHA256="$(step "$silo-setup" pipeline | awk '/sha256/ { print $NF }')"
  export PIPELINE_SHA256
  [ -n "$PIPELINE_SHA256" ] || { say "$silo: 'fedbeam pipeline' printed no digest"; exit 1; }
  step -e ORCHESTRATOR_PUBLIC_KEY -e PIPELINE_SHA256 "$silo-setup" \
    setup-fill /fedbeam/templates/policy.template.json /fedbeam/config/policy.json
done

say "3. exchange storage accounts"
SILO_A_EXCHANGE_KEY="$(head -c 64 /dev/urandom | base64 | tr -d '\n')"
SILO_B_EXCHANGE_KEY="$(head -c 64 /dev/urandom | base64 | tr -d '\n')"
export SILO_A_EXCHANGE_KEY SILO_B_EXCHANGE_KEY
step -e SILO_A_EXCHANGE_KEY -e SILO_B_EXCHANGE_KEY exchange-setup \
  setup-fill /fedbeam/templates/azurite-accounts.template /fedbeam/exchange-config/azurite-accounts
step -e SILO_A_EXCHANGE_KEY -e SILO_B_EXCHANGE_KEY exchange-setup \
  setup-fill /fedbeam/templates/operator-containers.template.json /fedbeam/exchange-config/operator-containers.json
step -e SILO_A_EXCHANGE_KEY silo-a-setup \
  setup-fill /fedbeam/templates/azure-containers.template.json /fedbeam/config/azure-containers.json
step -e SILO_B_EXCHANGE_KEY silo-b-setup \
  setup-fill /fedbeam/templates/azure-containers.template.json /fedbeam/config/azure-containers.json
step -e SILO_A_EXCHANGE_KEY -e SILO_B_EXCHANGE_KEY orchestrator-setup \
  setup-fill /fedbeam/templates/azure-containers.template.json /fedbeam/config/azure-containers.json

say "4. the job"
write_job

say "5. data"
step silo-a-setup setup-demo-data silo-00 /fedbeam/data
step silo-b-setup setup-demo-data silo-01 /fedbeam/data
step orchestrator-setup setup-demo-data orchestrator /fedbeam/data

say "done: docker compose up --build (web UIs, mutual TLS: orchestrator https://127.0.0.1:8081, silo-a :8082," \
  "silo-b :8083; the operator certificates: docs/containers.md)"
