import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Permissions } from '../api/permissions.js';

export interface SignedIn {
  username: string;
  permissions: Permissions;
}

export const SessionContext = createContext<SignedIn | undefined>(undefined);

export function useSignedIn(): SignedIn {
  const session = useContext(SessionContext);
  if (session === undefined) throw new Error('useSignedIn outside a signed-in page');
  return session;
}
