import { useState } from 'preact/hooks';
import { call } from '../api/api-client.js';
import type {
  Container,
  ContainerGrant,
  Provider,
  ProviderGrant,
  Role,
  RoleSummary,
} from '../api/api-types.js';
import { href, navigate } from '../components/hash-route.js';
import { useSignedIn } from '../components/session-context.js';
import {
  ConfirmButton,
  ErrorMessage,
  Field,
  Loading,
  PageTitle,
  Section,
  SelectField,
  TextAreaField,
  useAction,
  useLoad,
} from '../components/ui.js';

/** Roles are read and written in Keyfactor's v2 shape, where permissions are access-control strings. */
const v2 = { apiVersion: 2 } as const;

function linesOf(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

export function RolesPage() {
  const { permissions } = useSignedIn();
  const roles = useLoad(
    async () => (await call<RoleSummary[]>('listRoles', { ...v2, query: { ReturnLimit: 5000 } })).data,
    [],
  );
  return (
    <>
      <PageTitle>Roles</PageTitle>
      {roles.isLoading ? <Loading what="roles" /> : null}
      <ErrorMessage error={roles.error} />
      {roles.data === undefined ? null : (
        <table>
          <caption>Security roles</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Claims</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {roles.data.map((role) => (
              <tr key={role.Id}>
                <td>
                  <a href={href('roles', role.Id)}>{role.Name}</a>
                </td>
                <td>{role.ClaimsCount}</td>
                <td>
                  {permissions.can('/security/modify/') && !role.Immutable ? (
                    <ConfirmButton
                      label="Delete"
                      question={`Delete role ${role.Name}?`}
                      onConfirm={async () => {
                        await call('deleteRole', { ...v2, params: { id: role.Id } });
                        roles.reload();
                      }}
                    />
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {permissions.can('/security/modify/') ? <CreateRole /> : null}
    </>
  );
}

function CreateRole() {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [grants, setGrants] = useState('');
  const [claimType, setClaimType] = useState('User');
  const [claimValue, setClaimValue] = useState('');
  const action = useAction();
  return (
    <Section title="Create a role">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void action.run(async () => {
            const sets = (await call<{ Id: string; Name: string }[]>('listPermissionSets')).data;
            const globalSet = sets.find((set) => set.Name === 'Global') ?? sets[0];
            const created = await call<Role>('createRole', {
              ...v2,
              body: {
                Name: name,
                Description: description,
                PermissionSetId: globalSet?.Id,
                Permissions: linesOf(grants),
                Claims:
                  claimValue === ''
                    ? []
                    : [
                        {
                          ClaimType: claimType,
                          ClaimValue: claimValue,
                          ProviderAuthenticationScheme: 'Basic',
                          Description: '',
                        },
                      ],
              },
            });
            navigate('roles', created.data.Id);
          });
        }}
      >
        <Field label="Role name" value={name} onInput={setName} required maxLength={128} />
        <Field label="Role description" value={description} onInput={setDescription} maxLength={512} />
        <TextAreaField
          label="Permissions"
          value={grants}
          onInput={setGrants}
          hint="One access-control string a line, e.g. /pam/read/ or /certificate_stores/modify/"
        />
        <SelectField
          label="Claim type"
          value={claimType}
          onChange={setClaimType}
          options={[
            { value: 'User', label: 'User' },
            { value: 'Group', label: 'Group' },
          ]}
        />
        <Field
          label="Claim value"
          value={claimValue}
          onInput={setClaimValue}
          hint="A user name or a group."
        />
        <ErrorMessage error={action.error} />
        <button type="submit" class="primary" disabled={action.isBusy}>
          Create role
        </button>
      </form>
    </Section>
  );
}

export function RolePage({ roleId }: { roleId: number }) {
  const { permissions } = useSignedIn();
  const canModify = permissions.can('/security/modify/');
  const role = useLoad(async () => {
    const params = { id: roleId };
    const [detail, providerGrants, containerGrants] = await Promise.all([
      call<Role>('getRole', { ...v2, params }),
      call<ProviderGrant[]>('getRoleProviderGrants', { ...v2, params }),
      call<ContainerGrant[]>('getRoleContainerGrants', { ...v2, params }),
    ]);
    return {
      detail: detail.data,
      providerGrants: providerGrants.data,
      containerGrants: containerGrants.data,
    };
  }, [roleId]);
  return (
    <>
      <p>
        <a href={href('roles')}>Roles</a>
      </p>
      <PageTitle>{role.data === undefined ? 'Role' : `Role ${role.data.detail.Name}`}</PageTitle>
      {role.isLoading ? <Loading what="the role" /> : null}
      <ErrorMessage error={role.error} />
      {role.data === undefined ? null : (
        <>
          <dl class="facts">
            <dt>Description</dt>
            <dd>{role.data.detail.Description}</dd>
            <dt>Permissions</dt>
            <dd>{role.data.detail.Permissions.join(', ') || 'None'}</dd>
            <dt>Claims</dt>
            <dd>
              {role.data.detail.Claims.map((claim) => `${claim.ClaimType}: ${claim.ClaimValue}`).join(', ') ||
                'None'}
            </dd>
          </dl>
          {canModify ? (
            <EditRole
              key={JSON.stringify([role.data.detail.Permissions, role.data.detail.Claims])}
              role={role.data.detail}
              onSaved={role.reload}
            />
          ) : null}
          <Section title="PAM provider grants">
            <ul>
              {role.data.providerGrants.map((grant) => (
                <li key={grant.PamProviderId}>
                  {grant.Name ?? grant.PamProviderId}: {grant.Permissions.join(', ')}
                </li>
              ))}
            </ul>
            {canModify ? (
              <AddProviderGrant roleId={roleId} existing={role.data.providerGrants} onSaved={role.reload} />
            ) : null}
          </Section>
          <Section title="Container grants">
            <ul>
              {role.data.containerGrants.map((grant) => (
                <li key={`${grant.ContainerId}-${grant.Permission}`}>
                  {grant.Name ?? grant.ContainerId}: {grant.Permission}
                </li>
              ))}
            </ul>
            {canModify ? (
              <AddContainerGrant roleId={roleId} existing={role.data.containerGrants} onSaved={role.reload} />
            ) : null}
          </Section>
        </>
      )}
    </>
  );
}

function AddProviderGrant(props: { roleId: number; existing: ProviderGrant[]; onSaved: () => void }) {
  const providers = useLoad(
    async () => (await call<Provider[]>('listProviders', { query: { ReturnLimit: 5000 } })).data,
    [],
  );
  const [providerId, setProviderId] = useState('');
  const [permission, setPermission] = useState('Read');
  const action = useAction();
  const chosen = providerId === '' ? String(providers.data?.[0]?.Id ?? '') : providerId;
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        void action
          .run(async () => {
            const grants = props.existing
              .filter((grant) => String(grant.PamProviderId) !== chosen)
              .map((grant) => ({ PamProviderId: grant.PamProviderId, Permissions: grant.Permissions }));
            grants.push({
              PamProviderId: Number(chosen),
              Permissions: permission === 'Modify' ? ['Read', 'Modify'] : ['Read'],
            });
            await call('setRoleProviderGrants', { ...v2, params: { id: props.roleId }, body: grants });
          })
          .then((done) => done && props.onSaved());
      }}
    >
      <ErrorMessage error={providers.error} />
      <SelectField
        label="Provider"
        value={chosen}
        onChange={setProviderId}
        options={(providers.data ?? []).map((provider) => ({
          value: String(provider.Id),
          label: provider.Name,
        }))}
      />
      <SelectField
        label="Provider permission"
        value={permission}
        onChange={setPermission}
        options={[
          { value: 'Read', label: 'Read' },
          { value: 'Modify', label: 'Read and modify' },
        ]}
      />
      <ErrorMessage error={action.error} />
      <button type="submit" disabled={action.isBusy || chosen === ''}>
        Grant on provider
      </button>
    </form>
  );
}

function AddContainerGrant(props: { roleId: number; existing: ContainerGrant[]; onSaved: () => void }) {
  const containers = useLoad(
    async () => (await call<Container[]>('listContainers', { query: { ReturnLimit: 5000 } })).data,
    [],
  );
  const [containerId, setContainerId] = useState('');
  const [permission, setPermission] = useState('Read');
  const action = useAction();
  const chosen = containerId === '' ? String(containers.data?.[0]?.Id ?? '') : containerId;
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        void action
          .run(async () => {
            const grants = props.existing.map((grant) => ({
              ContainerId: grant.ContainerId,
              Permission: grant.Permission,
            }));
            grants.push({ ContainerId: Number(chosen), Permission: permission });
            await call('setRoleContainerGrants', { ...v2, params: { id: props.roleId }, body: grants });
          })
          .then((done) => done && props.onSaved());
      }}
    >
      <ErrorMessage error={containers.error} />
      <SelectField
        label="Container"
        value={chosen}
        onChange={setContainerId}
        options={(containers.data ?? []).map((container) => ({
          value: String(container.Id),
          label: container.Name,
        }))}
      />
      <SelectField
        label="Container permission"
        value={permission}
        onChange={setPermission}
        options={['Read', 'Schedule', 'Modify'].map((value) => ({ value, label: value }))}
      />
      <ErrorMessage error={action.error} />
      <button type="submit" disabled={action.isBusy || chosen === ''}>
        Grant on container
      </button>
    </form>
  );
}

/** Claims are edited as lines of "User alice" or "Group pki-team". */
function claimLines(claims: readonly Role['Claims'][number][]): string {
  return claims.map((claim) => `${claim.ClaimType} ${claim.ClaimValue}`).join('\n');
}

function claimsFrom(text: string, existing: readonly Role['Claims'][number][]) {
  return linesOf(text).map((line) => {
    const [type = '', ...rest] = line.split(/\s+/);
    const value = rest.join(' ');
    const kept = existing.find((claim) => claim.ClaimType === type && claim.ClaimValue === value);
    return {
      ClaimType: type,
      ClaimValue: value,
      ProviderAuthenticationScheme: kept?.Provider?.AuthenticationScheme ?? 'Basic',
      Description: kept?.Description ?? '',
    };
  });
}

function EditRole(props: { role: Role; onSaved: () => void }) {
  const { role } = props;
  const [grants, setGrants] = useState(role.Permissions.join('\n'));
  const [claims, setClaims] = useState(claimLines(role.Claims));
  const action = useAction();
  return (
    <Section title="Permissions and claims">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void action
            .run(async () => {
              await call('updateRole', {
                ...v2,
                body: {
                  Id: role.Id,
                  Name: role.Name,
                  Description: role.Description,
                  PermissionSetId: role.PermissionSetId,
                  Permissions: linesOf(grants),
                  Claims: claimsFrom(claims, role.Claims),
                },
              });
            })
            .then((done) => done && props.onSaved());
        }}
      >
        <TextAreaField
          label="Role permissions"
          value={grants}
          onInput={setGrants}
          hint="One access-control string a line, e.g. /pam/read/ or /pam/modify/7/"
        />
        <TextAreaField
          label="Role claims"
          value={claims}
          onInput={setClaims}
          hint="One claim a line: User alice, or Group pki-team"
        />
        <ErrorMessage error={action.error} />
        <button type="submit" disabled={action.isBusy}>
          Save permissions and claims
        </button>
      </form>
    </Section>
  );
}
