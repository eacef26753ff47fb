import type { Storage } from '../../storage/storage.js';
import type { AuditWriter } from './audit-writer.js';

export type DenialReason = 'SignInFailed' | 'PermissionMissing';

export interface DeniedRequest {
  /** The signed-in user, or for a refused sign-in the name it claimed. */
  caller: string;
  method: string;
  /** The route template (`/KeyfactorAPI/PamProviders/:id`), never the URL with its values. */
  route: string;
  reason: DenialReason;
  missingPermission: string | undefined;
}

export interface DeniedRequestAuditor {
  record(denial: DeniedRequest): Promise<void>;
  /** Writes the counts still held in memory; the server calls it when it stops. */
  close(): Promise<void>;
}

/** Repeats of one denial within this long become one entry with a count. */
export const deniedRequestWindowMs = 60_000;
/** The most distinct denials held at once; past it, what is held is written out and forgotten. */
export const deniedRequestCapacity = 10_000;

interface Pending {
  denial: DeniedRequest;
  windowEndsAt: number;
  repeats: number;
  firstRepeatAt: string | undefined;
  lastRepeatAt: string | undefined;
}

/**
 * Records every refused sign-in and every 403 in Keyfactor's Authorization Failure category (Warning, operation
 * Denied), naming the caller, the route and the missing permission. A burst of the same denial must not turn
 * the audit log into a way to fill the disk or slow every writer, so the first denial of a caller, route and
 * reason is written at once and its repeats within the window are only counted, then written as one entry
 * with that count when the window has passed (checked on the next denial, by a timer, and at shutdown).
 * Memory is bounded by `deniedRequestCapacity` distinct denials.
 */
export function createDeniedRequestAuditor(options: {
  storage: Storage;
  audit: AuditWriter;
  now: () => Date;
  onFailure: (error: unknown) => void;
}): DeniedRequestAuditor {
  const { storage, audit, now, onFailure } = options;
  const pending = new Map<string, Pending>();
  let timer: NodeJS.Timeout | undefined;

  async function write(denial: DeniedRequest, count: number, firstAt?: string, lastAt?: string) {
    await storage.transaction((tx) =>
      audit.record(tx, {
        actor: denial.caller,
        category: 'AuthorizationFailure',
        operation: 'Denied',
        level: 'Warning',
        outcome: 'Failure',
        entityType: 'Request',
        auditIdentifier: `${denial.method} ${denial.route}`,
        immutableIdentifier: `${denial.method} ${denial.route}`,
        details: {
          RequestType: 'API Endpoint',
          HttpVerb: denial.method,
          RequestRoute: denial.route,
          Reason: denial.reason,
          ...(denial.missingPermission === undefined ? {} : { MissingPermission: denial.missingPermission }),
          Count: count,
          ...(firstAt === undefined ? {} : { FirstAt: firstAt, LastAt: lastAt }),
        },
      }),
    );
  }

  async function writeRepeats(entry: Pending): Promise<void> {
    if (entry.repeats === 0) return;
    const { repeats, firstRepeatAt, lastRepeatAt } = entry;
    entry.repeats = 0;
    await write(entry.denial, repeats, firstRepeatAt, lastRepeatAt);
  }

  async function flushExpired(all: boolean): Promise<void> {
    const currentTime = now().getTime();
    for (const [key, entry] of pending) {
      if (!all && entry.windowEndsAt > currentTime) continue;
      pending.delete(key);
      await writeRepeats(entry);
    }
    if (pending.size === 0 && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
    }
  }

  function startTimer(): void {
    if (timer !== undefined) return;
    timer = setInterval(() => {
      flushExpired(false).catch(onFailure);
    }, deniedRequestWindowMs);
    // The timer only writes counts; it must not keep a stopping process alive.
    timer.unref();
  }

  return {
    async record(denial) {
      const key = JSON.stringify([
        denial.caller.toLowerCase(),
        denial.method,
        denial.route,
        denial.reason,
        denial.missingPermission,
      ]);
      const timestamp = now();
      const entry = pending.get(key);
      if (entry !== undefined && entry.windowEndsAt > timestamp.getTime()) {
        entry.repeats += 1;
        entry.firstRepeatAt ??= timestamp.toISOString();
        entry.lastRepeatAt = timestamp.toISOString();
        return;
      }
      if (entry !== undefined) {
        pending.delete(key);
        await writeRepeats(entry);
      }
      if (pending.size >= deniedRequestCapacity) await flushExpired(true);
      pending.set(key, {
        denial,
        windowEndsAt: timestamp.getTime() + deniedRequestWindowMs,
        repeats: 0,
        firstRepeatAt: undefined,
        lastRepeatAt: undefined,
      });
      startTimer();
      await write(denial, 1);
    },
    async close() {
      await flushExpired(true);
    },
  };
}
