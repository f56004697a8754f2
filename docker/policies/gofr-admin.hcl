# The operator CLI (gofr-auth): manage groups and tokens, create and rotate signing secrets.
path "secret/data/gofr/auth/*" {
  capabilities = ["create", "read", "update", "list"]
}
path "secret/metadata/gofr/auth/*" {
  capabilities = ["list", "read"]
}
path "secret/data/gofr/config/jwt-signing-secret" {
  capabilities = ["create", "read", "update"]
}
path "secret/data/gofr/config/jwt-signing-secrets/*" {
  capabilities = ["create", "read", "update"]
}
path "secret/metadata/gofr/config/jwt-signing-secrets/*" {
  capabilities = ["list", "read", "delete"]
}
# EdDSA issuers' keys in Transit (jwt-<issuer>): create, read, rotate, retire (config) and
# sign. Every Transit write is an `update`: the engine has no existence check, so `create`
# alone cannot make a key (docs/vault-contract.md row 44).
path "transit/keys/jwt-*" {
  capabilities = ["read", "update"]
}
path "transit/keys" {
  capabilities = ["list"]
}
path "transit/sign/jwt-*" {
  capabilities = ["update"]
}
