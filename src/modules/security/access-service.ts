import { notFoundError, validationError } from '../../errors/app-error.js';
import type { Storage } from '../../storage/storage.js';
import type { AccessObject, ClaimAccess, UserAccess } from './access-evaluation.js';
import {
  accessObjectFormats,
  accessRequirements,
  parseAccessObject,
  whoCanReach,
} from './access-evaluation.js';
import {
  allLocalIdentities,
  allRolesWithGrants,
  containerExists,
  localEntryExists,
  pamProviderExists,
  storeContainer,
} from './access-repository.js';

export interface AccessReport {
  object: string;
  claims: ClaimAccess[];
  users: UserAccess[];
}

export interface AccessService {
  report(objectText: string): Promise<AccessReport>;
}

export function createAccessService(dependencies: { storage: Storage }): AccessService {
  const { db } = dependencies.storage;

  /** Confirms the object exists and answers the container a store lives in (null for everything else). */
  async function locate(object: AccessObject): Promise<number | null> {
    switch (object.kind) {
      case 'pam-provider':
        if (!(await pamProviderExists(db, object.providerId))) {
          throw notFoundError(`PAM provider '${object.providerId}' was not found`);
        }
        return null;
      case 'local-entry':
        if (!(await localEntryExists(db, object.providerId, object.secretName))) {
          throw notFoundError(
            `Local PAM entry '${object.secretName}' of PAM provider '${object.providerId}' was not found`,
          );
        }
        return null;
      case 'certificate-store-container':
        if (!(await containerExists(db, object.containerId))) {
          throw notFoundError(`Certificate store container '${object.containerId}' was not found`);
        }
        return null;
      case 'certificate-store': {
        const containerId = await storeContainer(db, object.storeId);
        if (containerId === undefined)
          throw notFoundError(`Certificate store '${object.storeId}' was not found`);
        return containerId;
      }
    }
  }

  return {
    async report(objectText) {
      const object = parseAccessObject(objectText);
      if (object === undefined) {
        throw validationError(`'object' must have the form ${accessObjectFormats}`);
      }
      const containerId = await locate(object);
      const [roles, identities] = await Promise.all([allRolesWithGrants(db), allLocalIdentities(db)]);
      return {
        object: objectText,
        ...whoCanReach(roles, identities, accessRequirements(object, containerId)),
      };
    },
  };
}
