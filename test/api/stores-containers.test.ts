import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { assertKeyfactorShape } from '../support/keyfactor-openapi.js';
import type { StoreBody } from '../support/store-fixtures.js';
import {
  builtinTypes,
  containers,
  createContainer,
  createStore,
  expectStatus,
  getStore,
  message,
  stores,
  uniqueName,
} from '../support/store-fixtures.js';
import type { Credentials } from '../support/test-server.js';
import { describeEachDialect } from '../support/test-server.js';

interface ContainerBody {
  Id: number;
  Name: string;
  Schedule: unknown;
  CertificateStores: StoreBody[];
}

interface ContainerListBody {
  Id: number;
  Name: string;
  OverwriteSchedules: boolean;
  Schedule: string | null;
  StoreCount: number;
}

const schedule = { Interval: { Minutes: 60 } };

describeEachDialect('certificate store containers and container permissions', (server) => {
  let east: number;
  let west: number;
  let eastStore: StoreBody;
  let westStore: StoreBody;
  let eastEditor: Credentials;
  let eastReader: Credentials;
  let globalEditor: Credentials;

  before(async () => {
    east = await createContainer(server(), 'east');
    west = await createContainer(server(), 'west');
    eastStore = await createStore(server(), { ContainerId: east, ClientMachine: 'east-host' });
    westStore = await createStore(server(), { ContainerId: west, ClientMachine: 'west-host' });
    eastEditor = await server().createUser('east-editor', [
      `/certificate_stores/modify/${east}/`,
      '/pam/read/',
    ]);
    eastReader = await server().createUser('east-reader', [`/certificate_stores/read/${east}/`]);
    globalEditor = await server().createUser('global-editor', ['/certificate_stores/modify/']);
  });

  test('creates, reads, lists, replaces and deletes a container in the published shapes', async () => {
    const created = await server().request('POST', containers, {
      body: {
        name: 'lifecycle',
        certStoreType: builtinTypes.pem,
        schedule: { daily: { time: '2024-01-01T02:00:00Z' } },
      },
    });
    expectStatus(created, 200);
    assertKeyfactorShape(1, 'POST', '/CertificateStoreContainers', created.body);
    const container = created.body as ContainerBody;
    assert.deepEqual(
      { ...container, Id: 0 },
      {
        Id: 0,
        Name: 'lifecycle',
        Schedule: { Daily: { Time: '2024-01-01T02:00:00Z' } },
        CertificateStores: [],
      },
    );

    const one = await server().request('GET', `${containers}/${container.Id}`);
    expectStatus(one, 200);
    assertKeyfactorShape(1, 'GET', '/CertificateStoreContainers/{id}', one.body);

    const list = await server().request('GET', `${containers}?QueryString=Name -eq "lifecycle"`);
    expectStatus(list, 200);
    assertKeyfactorShape(1, 'GET', '/CertificateStoreContainers', list.body);
    assert.deepEqual(list.body, [
      {
        Id: container.Id,
        Name: 'lifecycle',
        OverwriteSchedules: false,
        Schedule: JSON.stringify({ Daily: { Time: '2024-01-01T02:00:00Z' } }),
        StoreCount: 0,
      },
    ]);

    const renamed = await server().request('PUT', containers, {
      body: { Id: container.Id, Name: 'lifecycle-2', CertStoreType: builtinTypes.pem },
    });
    expectStatus(renamed, 200);
    assertKeyfactorShape(1, 'PUT', '/CertificateStoreContainers', renamed.body);
    assert.equal((renamed.body as ContainerBody).Name, 'lifecycle-2');
    assert.equal((renamed.body as ContainerBody).Schedule, null);

    expectStatus(await server().request('DELETE', `${containers}/${container.Id}`), 204);
    expectStatus(await server().request('GET', `${containers}/${container.Id}`), 404);
    const audited = await server()
      .server.storage.db.selectFrom('audit_log')
      .select('operation')
      .where('entity_type', '=', 'CertificateStoreContainer')
      .where('immutable_identifier', '=', String(container.Id))
      .orderBy('id')
      .execute();
    assert.deepEqual(
      audited.map((row) => row.operation),
      [1, 2, 3],
    );
  });

  test('a container lists its stores and counts them', async () => {
    const one = (await server().request('GET', `${containers}/${east}`)).body as ContainerBody;
    assert.deepEqual(
      one.CertificateStores.map((store) => store.Id),
      [eastStore.Id],
    );
    const list = (await server().request('GET', `${containers}?QueryString=Id -eq ${east}`))
      .body as ContainerListBody[];
    assert.equal(list[0]?.StoreCount, 1);
  });

  test('sorting stores by Container puts stores outside any container first ascending, last descending', async () => {
    const none = await createStore(server(), { ClientMachine: 'container-sort-none' });
    const inEast = await createStore(server(), { ContainerId: east, ClientMachine: 'container-sort-east' });
    const inWest = await createStore(server(), { ContainerId: west, ClientMachine: 'container-sort-west' });
    const sorted = async (ascending: 0 | 1) =>
      (
        (
          await server().request(
            'GET',
            `${stores}?QueryString=ClientMachine -contains "container-sort"&SortField=Container&SortAscending=${ascending}`,
          )
        ).body as StoreBody[]
      ).map((store) => store.Id);
    try {
      assert.deepEqual(await sorted(0), [none.Id, inEast.Id, inWest.Id]);
      assert.deepEqual(await sorted(1), [inWest.Id, inEast.Id, none.Id]);
    } finally {
      // The other tests count what each container holds.
      for (const store of [none, inEast, inWest]) {
        expectStatus(await server().request('DELETE', `${stores}/${store.Id}`), 204);
      }
    }
  });

  test('refuses bad containers with a precise 4xx and changes nothing', async () => {
    const cases: [string, Record<string, unknown>, number, RegExp][] = [
      ['POST', { CertStoreType: 0 }, 400, /^'Name' is required$/],
      ['POST', { Name: 'n'.repeat(129) }, 400, /^'Name' must be at most 128 characters long$/],
      [
        'POST',
        { Name: 'typeless', CertStoreType: 777 },
        400,
        /^'CertStoreType' names certificate store type '777', which does not exist$/,
      ],
      ['POST', { Name: 'EAST' }, 409, /^A certificate store container named 'EAST' already exists/],
      ['PUT', { Name: 'no-id' }, 400, /^'Id' is required$/],
      ['PUT', { Id: 99999, Name: 'ghost' }, 404, /^Certificate store container '99999' was not found$/],
      ['PUT', { Id: east, Name: 'west' }, 409, /named 'west' already exists/],
      [
        'POST',
        { Name: 'bad-schedule', Schedule: { Interval: { Minutes: 0 } } },
        400,
        /^'Schedule.Interval(.Minutes)?' /,
      ],
    ];
    for (const [method, body, status, expected] of cases) {
      const response = await server().request(method, containers, { body });
      expectStatus(response, status);
      assert.match(message(response), expected);
    }
    const names = ((await server().request('GET', containers)).body as ContainerListBody[]).map(
      (c) => c.Name,
    );
    assert.ok(!names.includes('typeless') && !names.includes('ghost'));
    assert.equal(
      ((await server().request('GET', `${containers}/${east}`)).body as ContainerBody).Name,
      'east',
    );
  });

  test('a container created without a type, as Command 25 does, takes the type of its first store', async () => {
    const created = await server().request('POST', containers, { body: { Name: 'untyped-first' } });
    expectStatus(created, 200);
    const id = (created.body as ContainerBody).Id;
    const typed = async (type: number) =>
      (
        (
          await server().request(
            'GET',
            `${containers}?QueryString=CertStoreType -eq ${type} AND Id -eq ${id}`,
          )
        ).body as ContainerListBody[]
      ).length === 1;
    assert.ok(!(await typed(0)), 'no type is assumed before a store arrives');

    await createStore(server(), { ContainerId: id, CertStoreType: builtinTypes.pkcs12, Storepath: '/a.p12' });
    assert.ok(await typed(builtinTypes.pkcs12));
    const other = await server().request('POST', stores, {
      body: {
        ClientMachine: 'untyped-host',
        Storepath: '/b.jks',
        CertStoreType: builtinTypes.jks,
        ContainerId: id,
      },
    });
    expectStatus(other, 400);
    assert.match(message(other), /holds stores of type 1/);

    // A PUT without a type (Command 25's request has none) keeps the type the container has.
    const renamed = await server().request('PUT', containers, { body: { Id: id, Name: 'untyped-renamed' } });
    expectStatus(renamed, 200);
    assert.ok(await typed(builtinTypes.pkcs12));
  });

  test('a type sent as CertStoreType, as older clients do, is still honoured', async () => {
    const created = await server().request('POST', containers, {
      body: { Name: 'typed-pem', CertStoreType: builtinTypes.pem },
    });
    expectStatus(created, 200);
    const id = (created.body as ContainerBody).Id;
    const refused = await server().request('POST', stores, {
      body: {
        ClientMachine: 'pem-host',
        Storepath: '/c.jks',
        CertStoreType: builtinTypes.jks,
        ContainerId: id,
      },
    });
    expectStatus(refused, 400);
    assert.match(message(refused), /holds stores of type 2/);
  });

  test('stores of different types cannot move together into an untyped container', async () => {
    const created = await server().request('POST', containers, { body: { Name: 'untyped-assign' } });
    const id = (created.body as ContainerBody).Id;
    const jks = await createStore(server(), { Storepath: '/d.jks' });
    const p12 = await createStore(server(), { Storepath: '/e.p12', CertStoreType: builtinTypes.pkcs12 });
    const mixed = await server().request('PUT', `${stores}/AssignContainer`, {
      body: { CertStoreContainerId: id, KeystoreIds: [jks.Id, p12.Id] },
    });
    expectStatus(mixed, 400);
    assert.match(message(mixed), /different types/);
    const single = await server().request('PUT', `${stores}/AssignContainer`, {
      body: { CertStoreContainerId: id, KeystoreIds: [p12.Id] },
    });
    expectStatus(single, 200);
    expectStatus(
      await server().request('PUT', `${stores}/AssignContainer`, {
        body: { CertStoreContainerId: id, KeystoreIds: [jks.Id] },
      }),
      400,
    );
  });

  test('a container with stores cannot be deleted or retyped away from them', async () => {
    const blocked = await server().request('DELETE', `${containers}/${east}`);
    expectStatus(blocked, 409);
    assert.match(message(blocked), /still holds 1 certificate store\(s\)/);
    const retyped = await server().request('PUT', containers, {
      body: { Id: east, Name: 'east', CertStoreType: 2 },
    });
    expectStatus(retyped, 409);
    assert.match(message(retyped), /holds 1 store\(s\) of another type than 2/);
  });

  test('OverwriteSchedules puts the container schedule on each of its stores', async () => {
    const container = await createContainer(server(), uniqueName('scheduled'));
    const store = await createStore(server(), { ContainerId: container });
    const response = await server().request('PUT', containers, {
      body: { Id: container, Name: 'scheduled', OverwriteSchedules: true, Schedule: schedule },
    });
    expectStatus(response, 200);
    assert.deepEqual((await getStore(server(), store.Id)).InventorySchedule, schedule);
    const listed = await server().request('GET', `${stores}?QueryString=HasInventoryScheduled -eq true`);
    assert.ok((listed.body as StoreBody[]).some((item) => item.Id === store.Id));
  });

  test('a container grant shows only that container and its stores; others are 404, as if missing', async () => {
    const visible = (await server().request('GET', containers, { as: eastReader }))
      .body as ContainerListBody[];
    assert.deepEqual(
      visible.map((container) => container.Id),
      [east],
    );
    expectStatus(await server().request('GET', `${containers}/${east}`, { as: eastReader }), 200);
    const hidden = await server().request('GET', `${containers}/${west}`, { as: eastReader });
    const missing = await server().request('GET', `${containers}/99999`, { as: eastReader });
    expectStatus(hidden, 404);
    assert.equal(message(hidden), `Certificate store container '${west}' was not found`);
    assert.equal(hidden.text.replace(String(west), 'N'), missing.text.replace('99999', 'N'));

    const listed = (await server().request('GET', stores, { as: eastReader })).body as StoreBody[];
    assert.deepEqual(
      listed.map((store) => store.Id),
      [eastStore.Id],
    );
    expectStatus(await server().request('GET', `${stores}/${eastStore.Id}`, { as: eastReader }), 200);
    const hiddenStore = await server().request('GET', `${stores}/${westStore.Id}`, { as: eastReader });
    expectStatus(hiddenStore, 404);
    assert.equal(message(hiddenStore), `Certificate store '${westStore.Id}' was not found`);
  });

  test('a container modify grant changes stores there, and only there; read alone gives 403', async () => {
    const created = await createStore(
      server(),
      { ContainerId: east, ClientMachine: 'east-made' },
      eastEditor,
    );
    assert.equal(created.ContainerId, east);
    const elsewhere = await server().request('POST', stores, {
      as: eastEditor,
      body: { ClientMachine: 'x', Storepath: '/x', CertStoreType: 0, ContainerId: west },
    });
    expectStatus(elsewhere, 400);
    assert.equal(
      message(elsewhere),
      `'ContainerId' names certificate store container '${west}', which was not found`,
    );
    const loose = await server().request('POST', stores, {
      as: eastEditor,
      body: { ClientMachine: 'x', Storepath: '/x', CertStoreType: 0 },
    });
    expectStatus(loose, 403);
    assert.match(message(loose), /global permission \/certificate_stores\/modify\//);

    const update = (id: string, as: Credentials, extra: Record<string, unknown> = {}) =>
      server().request('PUT', stores, { as, body: { Id: id, ...extra } });
    expectStatus(await update(created.Id, eastEditor, { CreateIfMissing: true }), 200);
    expectStatus(await update(westStore.Id, eastEditor), 404);
    expectStatus(await update(created.Id, eastReader), 403);
    expectStatus(await update(created.Id, eastEditor, { ContainerId: west }), 400);
    expectStatus(await update(created.Id, eastEditor, { ContainerId: null }), 403);
    assert.equal((await getStore(server(), created.Id)).ContainerId, east);

    expectStatus(await server().request('DELETE', `${stores}/${westStore.Id}`, { as: eastEditor }), 404);
    expectStatus(await server().request('DELETE', `${stores}/${created.Id}`, { as: eastReader }), 403);
    expectStatus(await server().request('DELETE', `${stores}/${created.Id}`, { as: eastEditor }), 204);

    expectStatus(
      await server().request('PUT', containers, { as: eastEditor, body: { Id: east, Name: 'east' } }),
      200,
    );
    expectStatus(
      await server().request('PUT', containers, { as: eastEditor, body: { Id: west, Name: 'west' } }),
      404,
    );
    expectStatus(
      await server().request('PUT', containers, { as: eastReader, body: { Id: east, Name: 'east' } }),
      403,
    );
    expectStatus(await server().request('DELETE', `${containers}/${east}`, { as: eastReader }), 403);
    expectStatus(
      await server().request('POST', containers, { as: eastEditor, body: { Name: uniqueName('n') } }),
      403,
    );
    expectStatus(await server().request('GET', containers, { as: null }), 401);
  });

  test('the password endpoint honours only the global modify grant, as Keyfactor documents it', async () => {
    const body = { CertStoreId: eastStore.Id, NewPassword: { SecretValue: 'container-grant-pw' } };
    const scoped = await server().request('PUT', `${stores}/Password`, { as: eastEditor, body });
    expectStatus(scoped, 403);
    assert.equal((await getStore(server(), eastStore.Id)).Password.HasValue, false);
    expectStatus(await server().request('PUT', `${stores}/Password`, { as: globalEditor, body }), 204);
    assert.equal((await getStore(server(), eastStore.Id)).Password.HasValue, true);
  });

  test('AssignContainer moves stores into a container, or a new one made from a name', async () => {
    const first = await createStore(server());
    const second = await createStore(server());
    const target = await createContainer(server(), uniqueName('target'));
    const moved = await server().request('PUT', `${stores}/AssignContainer`, {
      body: { CertStoreContainerId: target, KeystoreIds: [first.Id, second.Id.toUpperCase()] },
    });
    expectStatus(moved, 200);
    assertKeyfactorShape(1, 'PUT', '/CertificateStores/AssignContainer', moved.body);
    assert.deepEqual(
      (moved.body as StoreBody[]).map((store) => [store.Id, store.ContainerId]),
      [
        [first.Id, target],
        [second.Id, target],
      ],
    );

    const name = uniqueName('fresh');
    const fresh = await server().request('PUT', `${stores}/AssignContainer`, {
      body: { NewContainerName: name, NewContainerType: 0, KeystoreIds: [first.Id] },
    });
    expectStatus(fresh, 200);
    const [store] = fresh.body as StoreBody[];
    assert.equal(store?.ContainerName, name);
    const container = (await server().request('GET', `${containers}/${store?.ContainerId}`))
      .body as ContainerBody;
    assert.equal(container.Name, name);
  });

  test('AssignContainer refuses bad requests whole, naming what is wrong', async () => {
    const store = await createStore(server());
    const pem = await createContainer(server(), uniqueName('pem'), builtinTypes.pem);
    const assign = (body: Record<string, unknown>, as?: Credentials) =>
      server().request('PUT', `${stores}/AssignContainer`, { body, ...(as === undefined ? {} : { as }) });
    const cases: [Record<string, unknown>, number, RegExp][] = [
      [{ CertStoreContainerId: east }, 400, /^'KeystoreIds' is required$/],
      [{ KeystoreIds: [store.Id] }, 400, /^Either 'CertStoreContainerId' or 'NewContainerName' is required$/],
      [
        { CertStoreContainerId: east, KeystoreIds: ['not-a-guid'] },
        400,
        /^'KeystoreIds.0' must be a valid GUID$/,
      ],
      [
        { CertStoreContainerId: 99999, KeystoreIds: [store.Id] },
        400,
        /names certificate store container '99999', which was not found/,
      ],
      [
        { CertStoreContainerId: pem, KeystoreIds: [store.Id] },
        400,
        /is of type 0, but container .* holds stores of type 2/,
      ],
      [
        { CertStoreContainerId: east, KeystoreIds: [store.Id, '00000000-0000-4000-8000-000000000000'] },
        404,
        /'00000000-0000-4000-8000-000000000000' was not found/,
      ],
      [{ NewContainerName: 'east', KeystoreIds: [store.Id] }, 409, /named 'east' already exists/],
    ];
    for (const [body, status, expected] of cases) {
      const response = await assign(body);
      expectStatus(response, status);
      assert.match(message(response), expected);
    }
    assert.equal((await getStore(server(), store.Id)).ContainerId, null);

    const intoWest = await assign({ CertStoreContainerId: west, KeystoreIds: [eastStore.Id] }, eastEditor);
    expectStatus(intoWest, 400);
    const newOne = await assign(
      { NewContainerName: uniqueName('mine'), KeystoreIds: [eastStore.Id] },
      eastEditor,
    );
    expectStatus(newOne, 403);
    assert.equal((await getStore(server(), eastStore.Id)).ContainerId, east);
  });
});
