/**
 * What the measured parts of the server report through. It is the only thing they know about metrics: the
 * group committer, the authenticator and the HTTP layer call these methods, and only server-metrics.ts, which
 * implements it, imports prom-client. Every label value comes from a closed set chosen here, never from a request.
 */
export interface MetricsRecorder {
  /** One answered request; `routeTemplate` is the registered route, undefined when no route matched. */
  requestAnswered(
    method: string,
    routeTemplate: string | undefined,
    statusCode: number,
    seconds: number,
  ): void;
  /** One group commit: how many works it carried and how long the oldest of them waited for it to start. */
  groupCommitBatch(size: number, waitSeconds: number): void;
  authenticationFailed(reason: AuthenticationFailureReason): void;
  /** An account (or an unknown name) crossed the failure limit and is now locked for a while. */
  accountLocked(): void;
  credentialCacheLookup(isHit: boolean): void;
  /** One statement sent to the database; on PostgreSQL each is a round trip (BEGIN and COMMIT included). */
  databaseStatement(): void;
}

export const authenticationFailureReasons = ['unknown_user', 'wrong_password', 'locked'] as const;
export type AuthenticationFailureReason = (typeof authenticationFailureReasons)[number];

/** A recorder that records nothing, for the parts built outside a server (CLI commands, unit tests). */
export const noMetrics: MetricsRecorder = {
  requestAnswered: () => undefined,
  groupCommitBatch: () => undefined,
  authenticationFailed: () => undefined,
  accountLocked: () => undefined,
  credentialCacheLookup: () => undefined,
  databaseStatement: () => undefined,
};
