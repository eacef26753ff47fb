import { forbiddenError, notFoundError, validationError } from '../../errors/app-error.js';
import type { Actor } from '../security/actor.js';

const readPermission = '/certificate_stores/read/';
const modifyPermission = '/certificate_stores/modify/';

/** The permission string a grant for one container has (`/certificate_stores/modify/7/`). */
function scopedTo(permission: string, containerId: number | null): string {
  return containerId === null ? permission : `${permission}${containerId}/`;
}

/**
 * Store permissions are granted globally or for one container. A store outside any container is reachable
 * only through a global grant, since no container grant can speak for it.
 */
function canReadIn(actor: Actor, containerId: number | null): boolean {
  return actor.permissions.has(readPermission, containerId ?? undefined);
}

function canModifyIn(actor: Actor, containerId: number | null): boolean {
  return actor.permissions.has(modifyPermission, containerId ?? undefined);
}

/** A store the caller may not read answers exactly like a missing one, so ids cannot be probed. */
export function requireReadableStore<T extends { containerId: number | null }>(
  actor: Actor,
  id: string,
  store: T | undefined,
): T {
  if (store === undefined || !canReadIn(actor, store.containerId)) {
    throw notFoundError(`Certificate store '${id}' was not found`);
  }
  return store;
}

export function requireModifiableStore<T extends { containerId: number | null }>(
  actor: Actor,
  id: string,
  store: T | undefined,
): T {
  const readable = requireReadableStore(actor, id, store);
  if (!canModifyIn(actor, readable.containerId)) {
    throw forbiddenError(
      `You may read certificate store '${id}' but not change it`,
      scopedTo(modifyPermission, readable.containerId),
    );
  }
  return readable;
}

export function requireReadableContainer<T>(actor: Actor, id: number, container: T | undefined): T {
  if (container === undefined || !canReadIn(actor, id)) {
    throw notFoundError(`Certificate store container '${id}' was not found`);
  }
  return container;
}

export function requireModifiableContainer<T>(actor: Actor, id: number, container: T | undefined): T {
  const readable = requireReadableContainer(actor, id, container);
  if (!canModifyIn(actor, id)) {
    throw forbiddenError(
      `You may read certificate store container '${id}' but not change it`,
      scopedTo(modifyPermission, id),
    );
  }
  return readable;
}

/**
 * A container named in a request body (where a store should go). Missing and unreadable read alike, as a
 * 400 because the request itself is what is wrong; readable but not writable is a 403.
 */
export function requireTargetContainer<T>(
  actor: Actor,
  field: string,
  id: number,
  container: T | undefined,
): T {
  if (container === undefined || !canReadIn(actor, id)) {
    throw validationError(`'${field}' names certificate store container '${id}', which was not found`);
  }
  if (!canModifyIn(actor, id)) {
    throw forbiddenError(
      `You may read certificate store container '${id}' but not place stores in it`,
      scopedTo(modifyPermission, id),
    );
  }
  return container;
}

/** Stores outside every container can only be created or moved there with the global grant. */
export function requireGlobalModify(actor: Actor, action: string): void {
  if (!actor.permissions.has(modifyPermission)) {
    throw forbiddenError(`${action} needs the global permission ${modifyPermission}`, modifyPermission);
  }
}
