/**
 * The environment for a child `npm` run by a test: this one without the variables the npm
 * that started vitest set for its own project (npm_package_*, npm_lifecycle_*, its prefix),
 * which would point the child at this checkout. Cache and config file locations stay.
 */
export function npmEnv(): NodeJS.ProcessEnv {
  const keep = /^npm_config_(cache|userconfig|globalconfig|registry)$/;
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name) || keep.test(name)),
  );
}
