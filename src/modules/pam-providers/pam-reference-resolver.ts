import type { SecretCipher } from '../../crypto/secret-cipher.js';
import type { Storage } from '../../storage/storage.js';
import { findEntry, readEntryValue } from '../local-entries/local-entry-repository.js';
import { findProvider } from './pam-provider-repository.js';
import { localProviderTypeId } from './pam-provider-type-builtins.js';
import { findProviderType } from './pam-provider-type-repository.js';
import type { PamReferenceResolver } from './pam-reference.js';
import { sealedLocations } from './pam-reference.js';

/** The PAM side of the contract the certificate-stores area uses to check and resolve secret references. */
export function createPamReferenceResolver(dependencies: {
  storage: Storage;
  cipher: SecretCipher;
}): PamReferenceResolver {
  const { storage, cipher } = dependencies;
  return {
    async describeProvider(executor, providerId) {
      const provider = await findProvider(executor, providerId);
      if (provider === undefined) return undefined;
      const type = await findProviderType(executor, provider.typeId);
      return {
        id: provider.id,
        name: provider.name,
        isLocal: provider.typeId === localProviderTypeId,
        remote: provider.remote,
        instanceParameters: (type?.parameters ?? [])
          .filter((param) => param.instanceLevel)
          .map((param) => ({
            id: param.id,
            name: param.name,
            displayName: param.displayName,
            dataType: param.dataType,
          })),
      };
    },

    async localEntryExists(executor, providerId, secretName) {
      return (await findEntry(executor, providerId, secretName)) !== undefined;
    },

    async resolveLocalSecret(providerId, secretName) {
      const sealed = await readEntryValue(storage.db, providerId, secretName);
      return sealed === undefined
        ? undefined
        : cipher.open(sealed, sealedLocations.localEntry(providerId, secretName));
    },
  };
}
