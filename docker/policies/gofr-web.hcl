# Vault policy of the service whose issuer is gofr-web: the signing secrets it
# needs and the auth records, read only. Printed by:
#   gofr-auth policy --issuer gofr-web --migrating

# The signing secret of gofr-web itself.
path "secret/data/gofr/config/jwt-signing-secrets/gofr-web" {
  capabilities = ["read"]
}

# The shared signing secret, only while migrating: the service signs with it until its
# own secret exists and verifies tokens signed with it. Whoever reads it can mint
# shared-key tokens in the name of any issuer that still uses it.
path "secret/data/gofr/config/jwt-signing-secret" {
  capabilities = ["read"]
}

# Token records, groups and the change marker (_changes): read only.
path "secret/data/gofr/auth/*" {
  capabilities = ["read"]
}

# Listing token records and groups.
path "secret/metadata/gofr/auth/*" {
  capabilities = ["list", "read"]
}

# EdDSA issuers' public keys (Transit keys jwt-<issuer>), to verify their tokens.
# Reading a Transit key never gives its private half: no power to sign.
path "transit/keys/jwt-*" {
  capabilities = ["read"]
}
