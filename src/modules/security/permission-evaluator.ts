import { normalizePermission, parseScopedPermission, permissionCatalog } from './permission-catalog.js';

export type PermissionScope = { all: true } | { all: false; objectIds: ReadonlySet<number> };

export interface PermissionChecker {
  /** True if the caller may do `required` globally or, when objectId is given, on that one object. */
  has(required: string, objectId?: number): boolean;
  /** Which objects a list guarded by `required` may show. */
  scope(required: string): PermissionScope;
  /** The normalised grants plus everything they imply, sorted; what /Security/My reports. */
  readonly grants: readonly string[];
}

const readSuffix = 'read/';
const modifySuffix = 'modify/';

/**
 * Each catalogue permission mapped to the permissions it directly implies. Modify implies read wherever an
 * area has both, because Keyfactor's UI ties the two boxes together and a right to change what one cannot
 * see is useless; certificate stores add a step in between (modify ⇒ schedule ⇒ read) because the UI forces
 * those three boxes together (contract §6.1).
 * `/strongroom/resolve/` and `/strongroom/keys/` appear on no right-hand side, so only `/strongroom/` or `/`
 * can grant them.
 */
const directImplications: ReadonlyMap<string, readonly string[]> = buildDirectImplications();

function buildDirectImplications(): Map<string, string[]> {
  const catalog = new Set(permissionCatalog);
  const implications = new Map<string, string[]>();
  for (const permission of permissionCatalog) {
    if (!permission.endsWith(`/${modifySuffix}`)) continue;
    const sibling = permission.slice(0, -modifySuffix.length) + readSuffix;
    if (catalog.has(sibling)) implications.set(permission, [sibling]);
  }
  // The store chain replaces the generic modify ⇒ read; read still follows through schedule.
  implications.set('/certificate_stores/modify/', ['/certificate_stores/schedule/']);
  implications.set('/certificate_stores/schedule/', ['/certificate_stores/read/']);
  return implications;
}

function addWithImplications(permission: string, into: Set<string>): void {
  if (into.has(permission)) return;
  into.add(permission);
  for (const implied of directImplications.get(permission) ?? []) addWithImplications(implied, into);
}

const emptyObjectIds: ReadonlySet<number> = new Set<number>();
const scopeAll: PermissionScope = Object.freeze({ all: true });

interface RequirementAnswer {
  readonly coveredGlobally: boolean;
  readonly objectIds: ReadonlySet<number>;
  readonly scope: PermissionScope;
}

export function createPermissionChecker(granted: readonly string[]): PermissionChecker {
  const globalGrants = new Set<string>();
  const objectIdsByBase = new Map<string, Set<number>>();

  // Grants from every role are pooled before evaluation: permissions are additive, so a narrower scoped grant
  // can only add objects and never takes away what a broader global grant already allows.
  for (const text of granted) {
    const normalized = normalizePermission(text);
    // Stored grants are validated on write, so an unrecognised one is a corrupt or foreign row; granting
    // nothing for it is the only safe reading.
    if (!normalized.ok) continue;
    const scoped = parseScopedPermission(normalized.permission);
    if (scoped === undefined) {
      addWithImplications(normalized.permission, globalGrants);
      continue;
    }
    // Scoped grants imply along the same chain as global ones, limited to the same object.
    const impliedBases = new Set<string>();
    addWithImplications(scoped.base, impliedBases);
    for (const base of impliedBases) {
      let objectIds = objectIdsByBase.get(base);
      if (objectIds === undefined) objectIdsByBase.set(base, (objectIds = new Set()));
      objectIds.add(scoped.objectId);
    }
  }

  // Every question `has` and `scope` can be asked is answered here once, so the per-request path is a single
  // map lookup with no string building.
  const answers = new Map<string, RequirementAnswer>();
  const globalGrantList = [...globalGrants];
  for (const required of permissionCatalog) {
    // A grant covers every string it is a prefix of, which is how Keyfactor makes shorter strings stronger.
    const coveredGlobally = globalGrantList.some((grant) => required.startsWith(grant));
    const objectIds: ReadonlySet<number> = coveredGlobally
      ? emptyObjectIds
      : (objectIdsByBase.get(required) ?? emptyObjectIds);
    const scope: PermissionScope = coveredGlobally ? scopeAll : Object.freeze({ all: false, objectIds });
    answers.set(required, { coveredGlobally, objectIds, scope });
  }

  const grants: readonly string[] = Object.freeze(
    [
      ...globalGrants,
      ...[...objectIdsByBase].flatMap(([base, objectIds]) =>
        [...objectIds].map((objectId) => `${base}${objectId}/`),
      ),
    ].sort(),
  );

  function answerFor(required: string): RequirementAnswer {
    const answer = answers.get(required);
    // Callers pass literal catalogue strings, so anything else is a programming error; throwing surfaces it
    // in the first test instead of as a puzzling 403 in production.
    if (answer === undefined) throw new Error(`'${required}' is not a permission in the catalogue`);
    return answer;
  }

  return {
    has(required, objectId) {
      const answer = answerFor(required);
      if (answer.coveredGlobally) return true;
      // A scoped grant only ever speaks for its own object; with no object named, it allows nothing.
      return objectId !== undefined && answer.objectIds.has(objectId);
    },
    scope(required) {
      return answerFor(required).scope;
    },
    grants,
  };
}
