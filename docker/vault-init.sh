#!/bin/sh
# One-shot bootstrap of the dev Vault of docker/compose.yml (service vault-init), run with
# the hashicorp/vault image's `vault` CLI and POSIX sh. Idempotent: safe to run again.
#
# - the shared signing secret secret/gofr/config/jwt-signing-secret (field value): 32 random
#   bytes, base64, created only if absent (check-and-set 0), never overwritten;
# - the policies gofr-service (read-only) and gofr-admin from POLICY_DIR;
# - AppRole, and one role per identity; each role's {"role_id","secret_id"} written to
#   CREDS_DIR/<role>.json, mode 0600, owned by the uid the consuming container runs as.
#
# Needs VAULT_ADDR and VAULT_TOKEN (the dev root token). Never prints a secret: the signing
# secret goes from /dev/urandom to Vault through a pipe (not argv, env or a file), and
# secret_ids only into the 0600 files.
set -eu
umask 077

: "${VAULT_ADDR:?VAULT_ADDR must be set, e.g. http://vault:8200}"
: "${VAULT_TOKEN:?VAULT_TOKEN must be set (the dev root token)}"
CREDS_DIR="${CREDS_DIR:-/run/gofr-secrets}"
POLICY_DIR="${POLICY_DIR:-/gofr/policies}"
WAIT_SECONDS="${WAIT_SECONDS:-60}"
SECRET_PATH="secret/gofr/config/jwt-signing-secret"

waited=0
until vault status >/dev/null 2>&1; do
  if [ "$waited" -ge "$WAIT_SECONDS" ]; then
    echo "vault-init: Vault at ${VAULT_ADDR} not ready after ${WAIT_SECONDS}s" >&2
    exit 1
  fi
  echo "vault-init: waiting for Vault at ${VAULT_ADDR}"
  sleep 1
  waited=$((waited + 1))
done

# The shared signing secret. If the read fails for another reason than "absent", the
# check-and-set write fails too (the secret exists), so a live secret is never replaced.
if vault kv get -field=value "$SECRET_PATH" >/dev/null 2>&1; then
  echo "vault-init: signing secret ${SECRET_PATH} present (unchanged)"
else
  head -c 32 /dev/urandom | base64 | tr -d '\n' |
    vault kv put -cas=0 "$SECRET_PATH" value=- >/dev/null
  echo "vault-init: signing secret ${SECRET_PATH} created"
fi

vault policy write gofr-service "${POLICY_DIR}/gofr-service.hcl" >/dev/null
vault policy write gofr-admin "${POLICY_DIR}/gofr-admin.hcl" >/dev/null
echo "vault-init: policies gofr-service, gofr-admin written"

if ! vault auth list -format=json | grep -q '"approle/"'; then
  vault auth enable approle >/dev/null
  echo "vault-init: AppRole auth enabled"
fi

mkdir -p "$CREDS_DIR"
chmod 755 "$CREDS_DIR" # each container may enter; every file in it is 0600 for its owner only

# write_role <role> <policy> <uid>: the role, a fresh secret_id, and its creds file for <uid>
# (the `user:` of the one container that logs in as <role>). The file is replaced
# atomically, so a running service never reads half of it.
write_role() {
  role="$1"
  policy="$2"
  owner="$3"
  vault write "auth/approle/role/${role}" token_policies="${policy}" \
    token_ttl=1h token_max_ttl=24h secret_id_ttl=0 >/dev/null
  role_id="$(vault read -field=role_id "auth/approle/role/${role}/role-id")"
  secret_id="$(vault write -f -field=secret_id "auth/approle/role/${role}/secret-id")"
  tmp="${CREDS_DIR}/.${role}.json.tmp"
  printf '{"role_id":"%s","secret_id":"%s"}\n' "$role_id" "$secret_id" >"$tmp"
  chown "${owner}:${owner}" "$tmp"
  chmod 600 "$tmp"
  mv -f "$tmp" "${CREDS_DIR}/${role}.json"
  echo "vault-init: AppRole ${role} (policy ${policy}) -> ${CREDS_DIR}/${role}.json (uid ${owner})"
}

write_role gofr-web gofr-service 10001
write_role gofr-mcp gofr-service 10002
write_role gofr-admin-control gofr-admin 10003

echo "vault-init: done"
