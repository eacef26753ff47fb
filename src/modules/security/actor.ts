import type { PermissionChecker } from './permission-evaluator.js';

/** Who is making a request, as every service sees it. */
export interface Actor {
  readonly username: string;
  readonly groups: readonly string[];
  readonly permissions: PermissionChecker;
}
