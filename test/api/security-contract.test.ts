import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { before, test } from 'node:test';
import { globalPermissionSetId } from '../../src/modules/security/admin-bootstrap.js';
import { assertKeyfactorShape, publishedResponseSchema } from '../support/keyfactor-openapi.js';
import { describeEachDialect } from '../support/test-server.js';

type Role = { Id: number };
type Schema = { $ref?: string; items?: Schema; properties?: Record<string, Schema>; required?: string[] };

const rolesPath = '/KeyfactorAPI/Security/Roles';

function roleBody(name: string) {
  return {
    Name: name,
    Description: 'Contract check',
    EmailAddress: 'contract@example.com',
    PermissionSetId: globalPermissionSetId,
    Permissions: ['/pam/read/', '/certificate_stores/modify/'],
    Claims: [
      { ClaimType: 'User', ClaimValue: 'alice', ProviderAuthenticationScheme: 'Basic', Description: 'Alice' },
      { ClaimType: 1, ClaimValue: 'pki', ProviderAuthenticationScheme: 'Basic', Description: 'PKI team' },
    ],
  };
}

type PublishedDocument = { components: { schemas: Record<string, Schema> } };

const documents: Record<1 | 2, PublishedDocument> = { 1: loadDocument(1), 2: loadDocument(2) };

function loadDocument(version: 1 | 2): PublishedDocument {
  const url = new URL(`../../../shared/keyfactor-openapi/command-v25-api-v${version}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as PublishedDocument;
}

function publishedSchema(version: 1 | 2, name: string): Schema {
  const schema = documents[version].components.schemas[name];
  assert.ok(schema !== undefined, `Keyfactor publishes no schema ${name} in v${version}`);
  return schema;
}

function without(object: Record<string, unknown>, field: string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).filter(([key]) => key !== field));
}

/**
 * Property names Keyfactor publishes for an operation's response object (or array item). The shared helper
 * proves we send no property Keyfactor lacks; this proves we leave none of Keyfactor's out.
 */
function publishedProperties(version: 1 | 2, method: string, path: string): string[] {
  let schema = publishedResponseSchema(version, method, path) as Schema;
  if (schema.items !== undefined) schema = schema.items;
  if (schema.$ref !== undefined) schema = publishedSchema(version, schema.$ref.split('/').pop() ?? '');
  return Object.keys(schema.properties ?? {}).sort();
}

describeEachDialect('security endpoints match the shapes Keyfactor publishes', (server) => {
  let roleId = 0;
  let providerId = 0;
  let containerId = 0;

  before(async () => {
    const created = await server().request('POST', rolesPath, { apiVersion: 2, body: roleBody('contract') });
    assert.equal(created.status, 200, created.text);
    roleId = (created.body as Role).Id;

    const db = server().server.storage.db;
    const now = new Date().toISOString();
    const typeId = [8, 4, 4, 4, 12].map((length) => randomBytes(length / 2).toString('hex')).join('-');
    await db
      .insertInto('pam_provider_types')
      .values({ id: typeId, name: 'contract-type', is_builtin: 0, created_at: now })
      .execute();
    providerId = (
      await db
        .insertInto('pam_providers')
        .values({
          name: 'contract-vault',
          type_id: typeId,
          area: 0,
          secured_area_id: null,
          remote: 0,
          created_at: now,
          updated_at: now,
        })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
    containerId = (
      await db
        .insertInto('certificate_store_containers')
        .values({
          name: 'contract-container',
          cert_store_type: 0,
          overwrite_schedules: 0,
          schedule_json: null,
        })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
  });

  test('v2 role responses use only published fields and leave none out', async () => {
    const one = await server().request('GET', `${rolesPath}/${roleId}`, { apiVersion: 2 });
    assertKeyfactorShape(2, 'GET', '/Security/Roles/{id}', one.body);
    assert.deepEqual(
      Object.keys(one.body as object).sort(),
      publishedProperties(2, 'GET', '/Security/Roles/{id}'),
    );

    const list = await server().request('GET', rolesPath, { apiVersion: 2 });
    assertKeyfactorShape(2, 'GET', '/Security/Roles', list.body);
    const [first] = list.body as object[];
    assert.deepEqual(Object.keys(first ?? {}).sort(), publishedProperties(2, 'GET', '/Security/Roles'));

    const created = await server().request('POST', rolesPath, {
      apiVersion: 2,
      body: roleBody('contract-2'),
    });
    assertKeyfactorShape(2, 'POST', '/Security/Roles', created.body);
    const updated = await server().request('PUT', rolesPath, {
      apiVersion: 2,
      body: { ...roleBody('contract-2'), Id: (created.body as Role).Id },
    });
    assertKeyfactorShape(2, 'PUT', '/Security/Roles', updated.body);
  });

  test('v1 role responses use only published fields and carry every top-level one', async () => {
    const one = await server().request('GET', `${rolesPath}/${roleId}`);
    assertKeyfactorShape(1, 'GET', '/Security/Roles/{id}', one.body);
    assert.deepEqual(
      Object.keys(one.body as object).sort(),
      publishedProperties(1, 'GET', '/Security/Roles/{id}'),
    );

    const list = await server().request('GET', rolesPath);
    assertKeyfactorShape(1, 'GET', '/Security/Roles', list.body);

    const created = await server().request('POST', rolesPath, {
      body: {
        Name: 'contract-v1',
        Description: 'd',
        Permissions: ['Auditing:Read'],
        Identities: [{ AccountName: 'x' }],
      },
    });
    assert.equal(created.status, 200, created.text);
    assertKeyfactorShape(1, 'POST', '/Security/Roles', created.body);
    const updated = await server().request('PUT', rolesPath, {
      body: { Id: (created.body as Role).Id, Name: 'contract-v1', Description: 'changed' },
    });
    assertKeyfactorShape(1, 'PUT', '/Security/Roles', updated.body);
  });

  test('Security/My and My/Permissions match their published shapes', async () => {
    const my = await server().request('GET', '/KeyfactorAPI/Security/My');
    assertKeyfactorShape(1, 'GET', '/Security/My', my.body);
    assert.deepEqual(Object.keys(my.body as object).sort(), publishedProperties(1, 'GET', '/Security/My'));
    const permissions = await server().request('GET', '/KeyfactorAPI/Security/My/Permissions');
    assertKeyfactorShape(1, 'GET', '/Security/My/Permissions', permissions.body);
  });

  test('per-provider and per-container permission responses match their published shapes', async () => {
    const pamPath = `${rolesPath}/${roleId}/Permissions/PamProviders`;
    const put = await server().request('PUT', pamPath, {
      body: [{ PamProviderId: providerId, Permissions: ['Read', 'Modify'] }],
    });
    assert.equal(put.status, 200, put.text);
    assertKeyfactorShape(1, 'PUT', '/Security/Roles/{id}/Permissions/PamProviders', put.body);
    const get = await server().request('GET', pamPath);
    assertKeyfactorShape(1, 'GET', '/Security/Roles/{id}/Permissions/PamProviders', get.body);
    assert.deepEqual(
      Object.keys((get.body as object[])[0] ?? {}).sort(),
      publishedProperties(1, 'GET', '/Security/Roles/{id}/Permissions/PamProviders'),
    );

    const containerPath = `${rolesPath}/${roleId}/Permissions/Containers`;
    for (const method of ['POST', 'PUT'] as const) {
      const response = await server().request(method, containerPath, {
        body: [{ ContainerId: containerId, Permission: 'Read' }],
      });
      assert.equal(response.status, 200, response.text);
      assertKeyfactorShape(1, method, '/Security/Roles/{id}/Permissions/Containers', response.body);
    }
    const get2 = await server().request('GET', containerPath);
    assertKeyfactorShape(1, 'GET', '/Security/Roles/{id}/Permissions/Containers', get2.body);
    assert.deepEqual(
      Object.keys((get2.body as object[])[0] ?? {}).sort(),
      publishedProperties(1, 'GET', '/Security/Roles/{id}/Permissions/Containers'),
    );
  });

  test('every field Keyfactor requires on v2 create and update is required here too, named in the 400', async () => {
    const requests = {
      POST: 'Keyfactor.Web.KeyfactorApi.Models.Security.SecurityRoles.SecurityRoleCreationRequest',
      PUT: 'Keyfactor.Web.KeyfactorApi.Models.Security.SecurityRoles.SecurityRoleUpdateRequest',
    } as const;
    for (const [method, schemaName] of Object.entries(requests) as ['POST' | 'PUT', string][]) {
      const required = publishedSchema(2, schemaName).required ?? [];
      assert.ok(required.length > 0);
      const full: Record<string, unknown> = { ...roleBody(`required-${method}`), Id: roleId };
      for (const field of required) {
        const body = without(full, field);
        const response = await server().request(method, rolesPath, { apiVersion: 2, body });
        assert.equal(response.status, 400, `${method} without ${field}: ${response.text}`);
        assert.match((response.body as { Message: string }).Message, new RegExp(`'${field}'`));
      }
    }
    const claimSchema = publishedSchema(
      2,
      'Keyfactor.Web.KeyfactorApi.Models.Security.RoleClaimDefinitions.RoleClaimDefinitionRequest',
    );
    assert.ok((claimSchema.required ?? []).length > 0);
    for (const field of claimSchema.required ?? []) {
      const [claim] = roleBody('x').Claims;
      const response = await server().request('POST', rolesPath, {
        apiVersion: 2,
        body: { ...roleBody(`claim-without-${field}`), Claims: [without({ ...claim }, field)] },
      });
      assert.equal(response.status, 400, `claim without ${field}: ${response.text}`);
      assert.match((response.body as { Message: string }).Message, new RegExp(`'Claims\\.0\\.${field}'`));
    }
  });
});
