export {
  AuthDatabase,
  type AuthDatabaseTarget,
  attachAuthDatabase,
  DEFAULT_AUTH_DB_PATH,
  DEFAULT_BUSY_TIMEOUT_MS,
  type OpenAuthDatabaseOptions,
  openAuthDatabase,
} from "./database.js";
export { MIGRATIONS, type Migration, SCHEMA_VERSION } from "./migrations.js";
export { FILE_MODE, FOLDER_MODE, type LoosePermissionsPolicy } from "./permissions.js";
