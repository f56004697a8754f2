#!/bin/sh
# One-shot bootstrap of a dev Vault for the gofr fleet. Idempotent: safe to run again.
# Needs VAULT_ADDR and VAULT_TOKEN (root, dev mode only). Never prints a secret.
set -eu
umask 077

CREDS_DIR="${CREDS_DIR:-/creds}"
SERVICE_UID="${SERVICE_UID:-1000}"
SECRET_PATH="secret/gofr/config/jwt-signing-secret"

until vault status >/dev/null 2>&1; do
  echo "vault-init: waiting for Vault at ${VAULT_ADDR}"
  sleep 1
done

# The shared signing secret: created once (check-and-set 0), never overwritten.
if vault kv get -field=value "$SECRET_PATH" >/dev/null 2>&1; then
  echo "vault-init: signing secret present (unchanged)"
else
  head -c 32 /dev/urandom | base64 | tr -d '\n' > /tmp/jwt-secret
  vault kv put -cas=0 "$SECRET_PATH" value=@/tmp/jwt-secret >/dev/null
  rm -f /tmp/jwt-secret
  echo "vault-init: signing secret created"
fi

vault policy write gofr-service /policies/gofr-service.hcl >/dev/null
vault policy write gofr-admin /policies/gofr-admin.hcl >/dev/null

if ! vault auth list -format=json | grep -q '"approle/"'; then
  vault auth enable approle >/dev/null
fi

# One AppRole per identity; credentials written 0600 for the service user.
write_role() {
  role="$1"
  policy="$2"
  vault write "auth/approle/role/${role}" token_policies="${policy}" \
    token_ttl=1h token_max_ttl=24h secret_id_ttl=0 >/dev/null
  role_id="$(vault read -field=role_id "auth/approle/role/${role}/role-id")"
  secret_id="$(vault write -f -field=secret_id "auth/approle/role/${role}/secret-id")"
  printf '{"role_id":"%s","secret_id":"%s"}\n' "$role_id" "$secret_id" > "${CREDS_DIR}/${role}.json"
  chown "${SERVICE_UID}:${SERVICE_UID}" "${CREDS_DIR}/${role}.json"
  chmod 600 "${CREDS_DIR}/${role}.json"
  echo "vault-init: AppRole ${role} (${policy}) ready"
}

write_role gofr-web gofr-service
write_role gofr-mcp gofr-service
write_role gofr-admin-control gofr-admin
