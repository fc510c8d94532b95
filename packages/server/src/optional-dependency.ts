import { createRequire } from 'node:module';

// Loaded on first use only, so that the package works without its optional peers installed.
const requireFromHere = createRequire(import.meta.url);

/** Thrown when a feature needs an optional peer dependency that is not installed. */
export class MissingDependencyError extends Error {
  override name = 'MissingDependencyError';
  /** The package to install. */
  readonly dependency: string;

  constructor(dependency: string, feature: string, options?: { cause?: unknown }) {
    super(`${feature} needs the optional peer dependency "${dependency}": npm install ${dependency}`, options);
    this.dependency = dependency;
  }
}

/** Loads an optional peer dependency synchronously; throws `MissingDependencyError` naming it when absent. */
export function requireOptional<T>(dependency: string, feature: string): T {
  try {
    return requireFromHere(dependency) as T;
  } catch (error) {
    throw new MissingDependencyError(dependency, feature, { cause: error });
  }
}
