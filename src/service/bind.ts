/**
 * Use cases are plain functions `(deps, actor, …) => result` (easy to test with any store).
 * The composition root binds them to one set of dependencies, so interfaces call
 * `services.records.createEntity(actor, input)` and never see the store.
 */
import type { ServiceDeps } from './context.ts';

/** Any use case: `never[]` accepts every parameter list (parameters are contravariant). */
type UseCase = (deps: ServiceDeps, ...args: never[]) => unknown;

/** `fn` without its first parameter. */
export type Bound<F> = F extends (deps: ServiceDeps, ...args: infer A) => infer R
  ? (...args: A) => R
  : never;

export type BoundAll<T extends Record<string, UseCase>> = { readonly [K in keyof T]: Bound<T[K]> };

export function bindAll<T extends Record<string, UseCase>>(deps: ServiceDeps, fns: T): BoundAll<T> {
  const out: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(fns)) {
    out[name] = (...args: never[]) => fn(deps, ...args);
  }
  return out as BoundAll<T>;
}
