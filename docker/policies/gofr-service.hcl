# Runtime services: read the signing secrets and the auth records, nothing else.
path "secret/data/gofr/config/*" {
  capabilities = ["read"]
}
path "secret/data/gofr/auth/*" {
  capabilities = ["read"]
}
path "secret/metadata/gofr/auth/*" {
  capabilities = ["list", "read"]
}
