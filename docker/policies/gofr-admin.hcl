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
