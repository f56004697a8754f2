#!/bin/sh
# One-shot bootstrap of the dev Vault of docker/compose.yml (service vault-init), run with
# the hashicorp/vault image's `vault` CLI and POSIX sh. Idempotent: safe to run again.
#
# - the shared signing secret secret/gofr/config/jwt-signing-secret (field value): 32 random
#   bytes, base64, created only if absent (check-and-set 0), never overwritten;
# - the policies from POLICY_DIR: one per service (gofr-web, gofr-mcp: read its own
#   issuer's signing secret, the shared one while migrating, and the auth records; printed
#   by `gofr-auth policy --issuer <issuer> --migrating`), and gofr-admin for the CLI;
# - the Transit secrets engine at transit/, for EdDSA issuers' keys (transit/keys/jwt-<issuer>,
#   named by the policies' transit/ lines); enabled if absent, the keys themselves are made
#   by the operator (gofr-auth keys create --issuer <name>);
# - AppRole, and one role per identity; each role's {"role_id","secret_id"} written to
#   CREDS_DIR/<role>.json, mode 0600, owned by the uid the consuming container runs as.
#   Each run issues a new secret_id and then destroys the role's older ones, so exactly one
#   valid secret_id per role exists after every run (they never pile up).
#
# Needs VAULT_ADDR and VAULT_TOKEN (the dev root token). Never prints a secret: the signing
# secret goes from /dev/urandom to Vault through a pipe (not argv, env or a file), and
# secret_ids only into the 0600 files.
#
# The image's /bin/sh is BusyBox ash, which has pipefail: a failing `vault` in a pipeline
# stops the script instead of being hidden by the command after it.
set -eu
set -o pipefail
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

vault policy write gofr-web "${POLICY_DIR}/gofr-web.hcl" >/dev/null
vault policy write gofr-mcp "${POLICY_DIR}/gofr-mcp.hcl" >/dev/null
vault policy write gofr-admin "${POLICY_DIR}/gofr-admin.hcl" >/dev/null
echo "vault-init: policies gofr-web, gofr-mcp, gofr-admin written"

# Captured first: `... | grep -q` would end the pipe early and, with pipefail, could read a
# listing that worked as a failure. A failed listing stops the script here (set -e).
auth_mounts="$(vault auth list -format=json)"
case "$auth_mounts" in
*'"approle/"'*) ;;
*)
  vault auth enable approle >/dev/null
  echo "vault-init: AppRole auth enabled"
  ;;
esac

# The Transit engine at the path the policies and <P>_TRANSIT_MOUNT (default transit) name.
# `vault secrets list` prints the mounts keyed "<path>/" (GET sys/mounts, vault/logical_system.go
# handleMountTable); enabling an existing path would fail with "path is already in use".
secret_mounts="$(vault secrets list -format=json)"
case "$secret_mounts" in
*'"transit/"'*) ;;
*)
  vault secrets enable transit >/dev/null
  echo "vault-init: transit secrets engine enabled at transit/ (EdDSA issuers' keys)"
  ;;
esac

mkdir -p "$CREDS_DIR"
chmod 755 "$CREDS_DIR" # each container may enter; every file in it is 0600 for its owner only

# json_field <name>: the string value of "<name>" in the pretty-printed JSON on stdin (the
# CLI prints one field per line; the image has no jq). Fails when the field is absent.
json_field() {
  found="$(sed -n "s/^ *\"$1\": *\"\([^\"]*\)\",\{0,1\}\$/\1/p")"
  if [ -z "$found" ]; then
    echo "vault-init: no $1 in Vault's answer" >&2
    return 1
  fi
  printf '%s' "$found"
}

# destroy_other_secret_ids <role> <accessor to keep>: destroys every other secret_id of the
# role by accessor (approle path_role.go: LIST role/<r>/secret-id lists accessors;
# secret-id-accessor/destroy). The list is never empty here: the new secret_id is in it.
destroy_other_secret_ids() {
  listed="$(vault list -format=json "auth/approle/role/$1/secret-id")"
  printf '%s\n' "$listed" | sed -n 's/^ *"\([^"]*\)",\{0,1\}$/\1/p' | while read -r accessor; do
    [ "$accessor" = "$2" ] && continue
    vault write "auth/approle/role/$1/secret-id-accessor/destroy" \
      secret_id_accessor="$accessor" >/dev/null
  done
}

# write_role <role> <policy> <uid>: the role, a fresh secret_id, and its creds file for <uid>
# (the `user:` of the one container that logs in as <role>). The file is replaced
# atomically, so a running service never reads half of it; the role's older secret_ids are
# destroyed only after the new file is in place (a service re-reads it at every login).
write_role() {
  role="$1"
  policy="$2"
  owner="$3"
  vault write "auth/approle/role/${role}" token_policies="${policy}" \
    token_ttl=1h token_max_ttl=24h secret_id_ttl=0 >/dev/null
  role_id="$(vault read -field=role_id "auth/approle/role/${role}/role-id")"
  issued="$(vault write -f -format=json "auth/approle/role/${role}/secret-id")"
  secret_id="$(printf '%s\n' "$issued" | json_field secret_id)"
  accessor="$(printf '%s\n' "$issued" | json_field secret_id_accessor)"
  tmp="${CREDS_DIR}/.${role}.json.tmp"
  printf '{"role_id":"%s","secret_id":"%s"}\n' "$role_id" "$secret_id" >"$tmp"
  chown "${owner}:${owner}" "$tmp"
  chmod 600 "$tmp"
  mv -f "$tmp" "${CREDS_DIR}/${role}.json"
  destroy_other_secret_ids "$role" "$accessor"
  echo "vault-init: AppRole ${role} (policy ${policy}) -> ${CREDS_DIR}/${role}.json (uid ${owner})"
}

write_role gofr-web gofr-web 10001
write_role gofr-mcp gofr-mcp 10002
write_role gofr-admin-control gofr-admin 10003

echo "vault-init: done"
