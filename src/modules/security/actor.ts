import type { PermissionChecker } from './permission-evaluator.js';

/** One claim a caller presents, matched against role claims (type, value and provider scheme). */
export interface ActorClaim {
  readonly claimType: string;
  readonly claimValue: string;
  readonly providerScheme: string;
}

/** Who is making a request, as every service sees it. */
export interface Actor {
  readonly username: string;
  readonly groups: readonly string[];
  readonly permissions: PermissionChecker;
  /** Set for callers authenticated by a token: the claims their roles were found by. */
  readonly claims?: readonly ActorClaim[];
}
