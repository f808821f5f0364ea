import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFile } from "node:fs/promises";
import { MAX_MESSAGE_BYTES, MessageCode } from "../../../src/codec/overlay/constants.ts";
import { decodeEnvelope } from "../../../src/codec/overlay/envelope.ts";
import { decodeFrame } from "../../../src/codec/overlay/frame.ts";
import { decodeMessageBody, type MessageBody } from "../../../src/codec/overlay/message_body.ts";
import type { StoredDataSpecifier } from "../../../src/codec/overlay/messages/specifier.ts";
import type { KindData, StoredData } from "../../../src/codec/overlay/messages/stored_data.ts";
import { ManualClock } from "../../../src/core/clock.ts";
import { resourceId } from "../../../src/identity/resource_id.ts";
import {
  nodeMatchResourceId,
  nodeMultipleResourceId,
} from "../../../src/overlay/storage/access_control.ts";
import { DEFAULT_KINDS } from "../../../src/overlay/storage/kinds.ts";
import { LocalStore, type StoreRequest } from "../../../src/overlay/storage/local_store.ts";
import { StorageError } from "../../../src/overlay/storage/storage_error.ts";
import { parseHexFile } from "../../../scripts/overlay_vectors.ts";
import {
  ALICE_NODE,
  AOR,
  BOB_NODE,
  CAROL_NODE,
  makeStore,
  registration,
  signed,
  T0,
  TEST_ARRAY,
  utf8,
} from "./signed_values.ts";

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
const fromHex = (text: string) => new Uint8Array(Buffer.from(text, "hex"));
const FIXTURES = new URL("../../fixtures/overlay/valid/", import.meta.url).pathname;
const ALL_REGISTRATIONS: StoredDataSpecifier = {
  kind: 1,
  generation: 0,
  selector: { model: "dictionary", keys: [] },
};

function storeReq(kindData: KindData[], replicaNumber = 0, resource = AOR): StoreRequest {
  return { resourceId: resource, replicaNumber, kindData };
}

function sipStore(values: StoredData[], generation = 0, replicaNumber = 0): StoreRequest {
  return storeReq([{ kind: 1, generation, values }], replicaNumber);
}

/** The refusal's reason and RFC 6940 error code, or "stored". */
function outcome(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof StorageError) return `${error.reason} ${error.errorCode}`;
    throw error;
  }
  return "stored";
}

async function vectorBody(name: string): Promise<MessageBody> {
  const frame = decodeFrame(
    parseHexFile(await readFile(`${FIXTURES}${name}.hex`, "utf8")),
    MAX_MESSAGE_BYTES,
  );
  if (frame.type !== "message") throw new Error(`${name} is not a message frame`);
  return decodeMessageBody(decodeEnvelope(frame.envelope).body);
}

test("LocalStore.store() accepts the store_req vector, and fetch() answers fetch_ans's value", async () => {
  const storeBody = await vectorBody("store_req");
  const fetchBody = await vectorBody("fetch_ans");
  if (storeBody.code !== MessageCode.StoreReq || fetchBody.code !== MessageCode.FetchAns) {
    throw new Error("unexpected vector bodies");
  }
  assert.is(hex(storeBody.resourceId), hex(AOR));
  const { store } = makeStore();
  const results = store.store(storeBody);
  assert.equal(results, [{ kind: 1, generation: 1 }]);
  const [fetched] = store.fetch(AOR, [ALL_REGISTRATIONS]);
  assert.equal(fetched!.values, fetchBody.kindData[0]!.values);
});

test("LocalStore.fetch() returns a registration with its lifetime reduced by the time held", () => {
  const { store, clock } = makeStore();
  const alice = registration(ALICE_NODE, "<sip:alice@10.42.0.17:5060>", { lifetime: 3600 });
  store.store(sipStore([alice]));
  clock.advance(600_000);
  const [kindData] = store.fetch(AOR, [ALL_REGISTRATIONS]);
  assert.is(kindData!.generation, 1);
  assert.is(kindData!.values.length, 1);
  const value = kindData!.values[0]!;
  assert.is(value.lifetime, 3000);
  assert.is(value.storageTime, T0);
  assert.equal(value.value, alice.value);
  assert.equal(value.signature, alice.signature);
  clock.advance(2_999_500);
  assert.is(store.fetch(AOR, [ALL_REGISTRATIONS])[0]!.values[0]!.lifetime, 0, "never below 0");
  clock.advance(500);
  assert.equal(store.fetch(AOR, [ALL_REGISTRATIONS])[0]!.values, [], "expired: not returned");
});

test("LocalStore.store() refuses a dictionary entry keyed by another node's id as forbidden", () => {
  const { store } = makeStore();
  // Bob signs correctly, but writes under Alice's node id.
  const forged = signed(BOB_NODE, AOR, 1, {
    model: "dictionary",
    key: ALICE_NODE.nodeId,
    exists: true,
    data: utf8("<sip:mallory@10.42.0.66>"),
  });
  assert.is(outcome(() => store.store(sipStore([forged]))), "forbidden 2");
  assert.is(store.refusals.forbidden, 1);
  assert.equal(store.fetch(AOR, [ALL_REGISTRATIONS]), [{ kind: 1, generation: 0, values: [] }]);
  assert.is(store.bytesUsed, 0);
});

test("LocalStore.store() refuses a tampered value, or one signed for another resource, as bad-signature", () => {
  const { store } = makeStore();
  const good = registration(ALICE_NODE, "<sip:alice@10.42.0.17>");
  const tampered: StoredData = {
    ...good,
    value: { ...good.value, data: utf8("<sip:alice@10.42.0.66>") },
  };
  assert.is(outcome(() => store.store(sipStore([tampered]))), "bad-signature 2");
  const later: StoredData = { ...good, storageTime: good.storageTime + 1 };
  assert.is(outcome(() => store.store(sipStore([later]))), "bad-signature 2", "time is signed");
  const elsewhere = registration(ALICE_NODE, "<sip:alice@10.42.0.17>", {
    resource: resourceId("sip:bob@mesh.example.org"),
  });
  assert.is(outcome(() => store.store(sipStore([elsewhere]))), "bad-signature 2");
  const badKey: StoredData = {
    ...good,
    signature: { ...good.signature, signerKey: new Uint8Array(32) },
  };
  assert.is(outcome(() => store.store(sipStore([badKey]))), "bad-signature 2");
  assert.is(store.refusals["bad-signature"], 4);
  assert.is(outcome(() => store.store(sipStore([good]))), "stored");
});

test("LocalStore.store() refuses a non-zero generation counter below the stored one", () => {
  const { store } = makeStore();
  const first = store.store(sipStore([registration(ALICE_NODE, "a", { storageTime: T0 })]));
  const second = store.store(sipStore([registration(ALICE_NODE, "b", { storageTime: T0 + 1 })]));
  assert.equal([first, second], [[{ kind: 1, generation: 1 }], [{ kind: 1, generation: 2 }]]);
  const stale = sipStore([registration(ALICE_NODE, "c", { storageTime: T0 + 2 })], 1);
  assert.is(outcome(() => store.store(stale)), "generation-too-low 5");
  assert.is(store.refusals["generation-too-low"], 1);
  const current = sipStore([registration(ALICE_NODE, "c", { storageTime: T0 + 2 })], 2);
  assert.equal(store.store(current), [{ kind: 1, generation: 3 }]);
  const any = sipStore([registration(ALICE_NODE, "d", { storageTime: T0 + 3 })], 0);
  assert.equal(store.store(any), [{ kind: 1, generation: 4 }], "0 means any generation");
});

test("LocalStore.store() of a replica keeps the primary's generation counter", () => {
  const { store } = makeStore();
  const replica = sipStore([registration(ALICE_NODE, "a")], 7, 1);
  assert.equal(store.store(replica), [{ kind: 1, generation: 7 }]);
  assert.is(store.fetch(AOR, [ALL_REGISTRATIONS])[0]!.generation, 7);
});

test("LocalStore.store() refuses an older or same-time different value as data-too-old", () => {
  const { store } = makeStore();
  store.store(sipStore([registration(ALICE_NODE, "new", { storageTime: T0 + 10 })]));
  const older = registration(ALICE_NODE, "old", { storageTime: T0 });
  assert.is(outcome(() => store.store(sipStore([older]))), "data-too-old 9");
  const sameTime = registration(ALICE_NODE, "other", { storageTime: T0 + 10 });
  assert.is(outcome(() => store.store(sipStore([sameTime]))), "data-too-old 9");
  assert.is(store.refusals["data-too-old"], 2);
  const copy = registration(ALICE_NODE, "new", { storageTime: T0 + 10, lifetime: 100 });
  assert.is(outcome(() => store.store(sipStore([copy]))), "stored", "an identical copy is fine");
  const [kindData] = store.fetch(AOR, [ALL_REGISTRATIONS]);
  assert.equal(kindData!.values.map((v) => [v.value.data, v.lifetime]), [[utf8("new"), 100]]);
});

test("LocalStore.store() of exists=false deletes, and an older copy cannot resurrect the value", () => {
  const { store, clock } = makeStore();
  const live = registration(ALICE_NODE, "<sip:alice@10.42.0.17>", { storageTime: T0 });
  store.store(sipStore([live]));
  const deletion = registration(ALICE_NODE, "", {
    storageTime: T0 + 10,
    lifetime: 600,
    exists: false,
  });
  assert.equal(store.store(sipStore([deletion])), [{ kind: 1, generation: 2 }]);
  const [kindData] = store.fetch(AOR, [ALL_REGISTRATIONS]);
  assert.equal(kindData!.values.map((v) => v.value.exists), [false], "the delete is returned");
  // A peer that missed the delete replicates the old value back.
  assert.is(outcome(() => store.store(sipStore([live], 0, 1))), "data-too-old 9");
  clock.advance(600_000);
  assert.is(store.sweep(), 1, "the tombstone ends with its lifetime");
  assert.equal(store.fetch(AOR, [ALL_REGISTRATIONS])[0]!.values, []);
  const renewed = registration(ALICE_NODE, "<sip:alice@10.42.0.18>", { storageTime: T0 + 20 });
  assert.is(outcome(() => store.store(sipStore([renewed]))), "stored");
});

test("LocalStore.fetch() selects array values by index ranges, in index order", () => {
  const { store } = makeStore();
  const at = nodeMatchResourceId(ALICE_NODE.nodeId);
  const values = [7, 0, 5, 2].map((index) =>
    signed(ALICE_NODE, at, TEST_ARRAY.id, {
      model: "array",
      index,
      exists: true,
      data: utf8(`item ${index}`),
    })
  );
  store.store(storeReq([{ kind: TEST_ARRAY.id, generation: 0, values }], 0, at));
  const fetchIndices = (ranges: Array<{ first: number; last: number }>) =>
    store.fetch(at, [{
      kind: TEST_ARRAY.id,
      generation: 0,
      selector: { model: "array", ranges },
    }])[0]!
      .values.map((v) => v.value.model === "array" ? v.value.index : -1);
  assert.equal(fetchIndices([{ first: 0, last: 2 }, { first: 6, last: 9 }]), [0, 2, 7]);
  assert.equal(fetchIndices([{ first: 0, last: 0xffff_ffff }]), [0, 2, 5, 7]);
  assert.equal(fetchIndices([{ first: 3, last: 4 }]), []);
  assert.equal(fetchIndices([]), []);
});

test("LocalStore.fetch() selects dictionary values by key, all of them for no keys", () => {
  const { store } = makeStore();
  store.store(sipStore([
    registration(ALICE_NODE, "alice's contact"),
    registration(BOB_NODE, "bob's contact"),
  ]));
  const fetchKeys = (keys: Uint8Array[]) =>
    store.fetch(AOR, [{ kind: 1, generation: 0, selector: { model: "dictionary", keys } }])[0]!
      .values.map((v) => new TextDecoder().decode(v.value.data));
  assert.equal(fetchKeys([BOB_NODE.nodeId]), ["bob's contact"]);
  assert.equal(fetchKeys([BOB_NODE.nodeId, ALICE_NODE.nodeId, BOB_NODE.nodeId]), [
    "bob's contact",
    "alice's contact",
  ]);
  assert.equal(fetchKeys([CAROL_NODE.nodeId]), []);
  const sorted = [ALICE_NODE, BOB_NODE].sort((a, b) => hex(a.nodeId) < hex(b.nodeId) ? -1 : 1);
  assert.equal(
    fetchKeys([]),
    sorted.map((k) => k === ALICE_NODE ? "alice's contact" : "bob's contact"),
  );
});

test("LocalStore.fetch() with the current generation returns the kind without values", () => {
  const { store } = makeStore();
  store.store(sipStore([registration(ALICE_NODE, "a")]));
  const spec = (generation: number): StoredDataSpecifier => ({ ...ALL_REGISTRATIONS, generation });
  assert.equal(store.fetch(AOR, [spec(1)]), [{ kind: 1, generation: 1, values: [] }]);
  assert.is(store.fetch(AOR, [spec(9)])[0]!.values.length, 1, "changed since generation 9");
  assert.is(store.fetch(AOR, [spec(0)])[0]!.values.length, 1, "0 asks for values regardless");
});

test("LocalStore refuses unknown kinds and selectors in the wrong data model", () => {
  const { store } = makeStore();
  const unknown: StoredDataSpecifier = { kind: 99, generation: 0, selector: { model: "single" } };
  assert.is(outcome(() => store.fetch(AOR, [unknown])), "unknown-kind 12");
  assert.is(outcome(() => store.stat(AOR, [unknown])), "unknown-kind 12");
  assert.is(outcome(() => store.find([99], AOR)), "unknown-kind 12");
  const value = registration(ALICE_NODE, "a");
  assert.is(
    outcome(() => store.store(storeReq([{ kind: 99, generation: 0, values: [value] }]))),
    "unknown-kind 12",
  );
  assert.is(
    outcome(() => store.fetch(AOR, [{ kind: 1, generation: 0, selector: { model: "single" } }])),
    "wrong-model 2",
  );
  const turnAt = nodeMultipleResourceId(ALICE_NODE.nodeId, 0);
  const dictionaryForTurn = signed(ALICE_NODE, turnAt, 2, {
    model: "dictionary",
    key: ALICE_NODE.nodeId,
    exists: true,
    data: utf8("x"),
  });
  assert.is(
    outcome(() =>
      store.store(storeReq([{ kind: 2, generation: 0, values: [dictionaryForTurn] }], 0, turnAt))
    ),
    "wrong-model 2",
  );
  assert.equal(store.refusals, {
    "forbidden": 0,
    "unknown-kind": 1,
    "generation-too-low": 0,
    "data-too-old": 0,
    "data-too-large": 0,
    "bad-signature": 0,
    "wrong-model": 1,
  }, "refusals count stores only");
});

test("LocalStore.store() refuses a value above the kind's max-size as data-too-large", () => {
  const { store } = makeStore();
  const big = registration(ALICE_NODE, "x".repeat(1025));
  assert.is(outcome(() => store.store(sipStore([big]))), "data-too-large 8");
  assert.is(
    outcome(() => store.store(sipStore([registration(ALICE_NODE, "x".repeat(1024))]))),
    "stored",
  );
  assert.is(store.refusals["data-too-large"], 1);
});

test("LocalStore.store() refuses more values than the kind's max-count as data-too-large", () => {
  const { store } = makeStore();
  const at = nodeMatchResourceId(ALICE_NODE.nodeId);
  const item = (index: number, exists = true) =>
    signed(ALICE_NODE, at, TEST_ARRAY.id, { model: "array", index, exists, data: utf8("v") });
  const put = (...values: StoredData[]) =>
    outcome(() => store.store(storeReq([{ kind: TEST_ARRAY.id, generation: 0, values }], 0, at)));
  assert.is(put(item(0), item(1), item(2), item(3), item(4)), "data-too-large 8");
  assert.is(put(item(0), item(1), item(2), item(3)), "stored", "maxCount 4");
  assert.is(put(item(9)), "data-too-large 8", "a fifth index");
  assert.is(put(item(9, false)), "data-too-large 8", "a delete takes a place too");
  assert.is(store.refusals["data-too-large"], 3);
  assert.equal(store.countByKind(), new Map([[TEST_ARRAY.id, 4]]));
});

test("LocalStore.store() refuses past the total and per-signer byte budgets, and counts it", () => {
  // A registration costs its data + 16-byte key + 64.
  const contact = "x".repeat(120); // 200 bytes charged
  {
    const { store } = makeStore({ maxBytes: 500 });
    store.store(sipStore([registration(ALICE_NODE, contact), registration(BOB_NODE, contact)]));
    assert.is(store.bytesUsed, 400);
    const third = registration(CAROL_NODE, contact);
    assert.is(outcome(() => store.store(sipStore([third]))), "data-too-large 8");
    assert.is(store.refusals["data-too-large"], 1);
    assert.is(store.bytesUsed, 400);
    const smaller = registration(ALICE_NODE, "y", { storageTime: T0 + 1 });
    assert.is(outcome(() => store.store(sipStore([smaller]))), "stored", "a replacement frees");
    assert.is(store.bytesUsed, 200 + 81);
  }
  {
    const { store } = makeStore({ maxBytesPerSigner: 300 });
    const otherAor = resourceId("sip:carol@mesh.example.org");
    store.store(sipStore([registration(ALICE_NODE, contact)]));
    assert.is(store.bytesBySigner(hex(ALICE_NODE.nodeId)), 200);
    const second = registration(ALICE_NODE, contact, { resource: otherAor });
    assert.is(
      outcome(() =>
        store.store(storeReq([{ kind: 1, generation: 0, values: [second] }], 0, otherAor))
      ),
      "data-too-large 8",
    );
    const bobs = registration(BOB_NODE, contact, { resource: otherAor });
    assert.is(
      outcome(() =>
        store.store(storeReq([{ kind: 1, generation: 0, values: [bobs] }], 0, otherAor))
      ),
      "stored",
      "another signer has its own budget",
    );
    assert.is(store.bytesBySigner(hex(BOB_NODE.nodeId)), 200);
    assert.is(store.bytesUsed, 400);
  }
});

test("LocalStore.store() accepts TURN-SERVICE at H(node || 3) and refuses it at H(node || 8)", () => {
  const { store } = makeStore();
  const addresses = new Uint8Array([10, 42, 0, 17, 0x0d, 0x96]);
  const at = (d: number) => nodeMultipleResourceId(ALICE_NODE.nodeId, d);
  const turn = (d: number) =>
    storeReq(
      [{
        kind: 2,
        generation: 0,
        values: [signed(ALICE_NODE, at(d), 2, { model: "single", exists: true, data: addresses })],
      }],
      0,
      at(d),
    );
  assert.is(hex(at(3)), "7f7a7a3970afdf742f93f18920f2a3cf", "Python's hashlib");
  assert.is(outcome(() => store.store(turn(3))), "stored");
  assert.is(outcome(() => store.store(turn(8))), "forbidden 2");
  const [kindData] = store.fetch(at(3), [{
    kind: 2,
    generation: 0,
    selector: { model: "single" },
  }]);
  assert.equal(kindData!.values.map((v) => v.value.data), [addresses]);
});

test("LocalStore.sweep() removes expired values and tombstones and frees their budget", () => {
  const { store, clock } = makeStore();
  store.store(sipStore([
    registration(ALICE_NODE, "short", { lifetime: 60 }),
    registration(BOB_NODE, "", { lifetime: 120, exists: false }),
  ]));
  const carolAor = resourceId("sip:carol@mesh.example.org");
  const carol = registration(CAROL_NODE, "long", { resource: carolAor, lifetime: 3600 });
  store.store(storeReq([{ kind: 1, generation: 0, values: [carol] }], 0, carolAor));
  assert.equal(store.countByKind(), new Map([[1, 3]]));
  clock.advance(60_000);
  assert.is(store.bytesBySigner(hex(ALICE_NODE.nodeId)), 5 + 16 + 64, "held until swept");
  assert.is(store.sweep(), 1);
  assert.is(store.bytesBySigner(hex(ALICE_NODE.nodeId)), 0);
  clock.advance(60_000);
  assert.is(store.sweep(), 1);
  assert.equal(store.countByKind(), new Map([[1, 1]]));
  assert.is(store.bytesUsed, 4 + 16 + 64);
  assert.equal(store.fetch(AOR, [ALL_REGISTRATIONS]), [{ kind: 1, generation: 0, values: [] }]);
  assert.is(store.sweep(), 0);
});

test("LocalStore.store() sweeps expired values first when the budget is full", () => {
  const { store, clock } = makeStore({ maxBytes: 100 });
  store.store(sipStore([registration(ALICE_NODE, "a", { lifetime: 10 })]));
  const otherAor = resourceId("sip:bob@mesh.example.org");
  const bobs = registration(BOB_NODE, "b", { resource: otherAor });
  const put = () =>
    outcome(() => store.store(storeReq([{ kind: 1, generation: 0, values: [bobs] }], 0, otherAor)));
  assert.is(put(), "data-too-large 8");
  clock.advance(10_000);
  assert.is(put(), "stored");
  assert.is(store.bytesUsed, 81);
});

test("LocalStore.entries() and remove() hand over and drop the resources a predicate selects", () => {
  const { store, clock } = makeStore();
  const names = ["sip:a@x", "sip:b@x", "sip:c@x", "sip:d@x", "sip:e@x", "sip:f@x"];
  for (const name of names) {
    const at = resourceId(name);
    const value = registration(ALICE_NODE, name, { resource: at, lifetime: 1000 });
    store.store(storeReq([{ kind: 1, generation: 0, values: [value] }], 0, at));
  }
  const low = (id: Uint8Array) => id[0]! < 0x80;
  const expected = names.map(resourceId).filter(low).map(hex).sort();
  assert.ok(expected.length > 0 && expected.length < names.length, "the ids fall on both sides");
  clock.advance(250_000);
  const handed = store.entries(low);
  assert.equal(handed.map((r) => hex(r.resourceId)).sort(), expected);
  for (const resource of handed) {
    assert.equal(resource.kindData.map((k) => [k.kind, k.generation]), [[1, 1]]);
    assert.is(resource.kindData[0]!.values[0]!.lifetime, 750);
  }
  // The receiving peer stores them as replicas and keeps the generation.
  const { store: joiner } = makeStore();
  for (const resource of handed) {
    assert.equal(joiner.store({ ...resource, replicaNumber: 1 }), [{ kind: 1, generation: 1 }]);
  }
  const before = store.bytesUsed;
  assert.is(store.remove(low), expected.length);
  assert.equal(store.entries(low), []);
  assert.is(store.entries(() => true).length, names.length - expected.length);
  assert.is(store.bytesUsed, before - joiner.bytesUsed);
});

test("LocalStore.store() is all-or-nothing: one bad value stores nothing", () => {
  const { store } = makeStore();
  store.store(sipStore([registration(ALICE_NODE, "old", { storageTime: T0 })]));
  const good = registration(ALICE_NODE, "new", { storageTime: T0 + 1 });
  const forged = signed(BOB_NODE, AOR, 1, {
    model: "dictionary",
    key: CAROL_NODE.nodeId,
    exists: true,
    data: utf8("x"),
  });
  const misplacedTurn = signed(ALICE_NODE, AOR, 2, {
    model: "single",
    exists: true,
    data: utf8("x"),
  });
  assert.is(outcome(() => store.store(sipStore([good, forged]))), "forbidden 2");
  assert.is(
    outcome(() =>
      store.store(storeReq([
        { kind: 1, generation: 0, values: [good] },
        { kind: 2, generation: 0, values: [misplacedTurn] },
      ]))
    ),
    "forbidden 2",
  );
  const [kindData] = store.fetch(AOR, [ALL_REGISTRATIONS]);
  assert.is(kindData!.generation, 1);
  assert.equal(kindData!.values.map((v) => v.value.data), [utf8("old")]);
  assert.equal(store.countByKind(), new Map([[1, 1]]));
});

test("LocalStore.stat() reports lengths, SHA-256 hashes and remaining lifetimes", () => {
  const { store, clock } = makeStore();
  const contact = "<sip:alice@10.42.0.17:5060;transport=udp>;expires=3600";
  store.store(sipStore([
    registration(ALICE_NODE, contact),
    registration(BOB_NODE, "", { exists: false }),
  ]));
  clock.advance(100_000);
  const [response] = store.stat(AOR, [{
    ...ALL_REGISTRATIONS,
    selector: { model: "dictionary", keys: [ALICE_NODE.nodeId, BOB_NODE.nodeId] },
  }]);
  assert.is(response!.generation, 1);
  // Hashes from Python's hashlib.sha256.
  assert.equal(response!.values, [
    {
      storageTime: T0,
      lifetime: 3500,
      meta: {
        model: "dictionary",
        key: ALICE_NODE.nodeId,
        exists: true,
        length: contact.length,
        hash: fromHex("207d58ad540f4e47a5ad4878a4c5bddd5dc4f5179271989743846590e7d2a634"),
      },
    },
    {
      storageTime: T0,
      lifetime: 3500,
      meta: {
        model: "dictionary",
        key: BOB_NODE.nodeId,
        exists: false,
        length: 0,
        hash: fromHex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
      },
    },
  ]);
});

test("LocalStore.find() answers the first stored id at or after the requested one round the ring", () => {
  const { store, clock } = makeStore();
  const id = (first: number) => {
    const bytes = new Uint8Array(16);
    bytes[0] = first;
    return bytes;
  };
  for (const [first, lifetime] of [[0x20, 3600], [0x80, 3600], [0xc0, 10]] as const) {
    const value = registration(ALICE_NODE, "a", { resource: id(first), lifetime });
    store.store(storeReq([{ kind: 1, generation: 0, values: [value] }], 0, id(first)));
  }
  const closest = (from: number, options = {}) =>
    store.find([1, 2], id(from), options).map((r) => r.closest === null ? null : r.closest[0]);
  assert.equal(closest(0x20), [0x20, null], "at the id itself; no TURN-SERVICE stored");
  assert.equal(closest(0x21), [0x80, null]);
  assert.equal(closest(0x81), [0xc0, null]);
  assert.equal(closest(0xc1), [0x20, null], "wraps round the ring");
  assert.equal(closest(0x21, { inRange: (r: Uint8Array) => r[0]! !== 0x80 }), [0xc0, null]);
  clock.advance(10_000);
  assert.equal(closest(0x81), [0x20, null], "an expired value does not count");
});

test("LocalStore() refuses byte budgets that are not positive integers", () => {
  for (const init of [{ maxBytes: 0 }, { maxBytesPerSigner: -1 }, { maxBytes: 1.5 }]) {
    assert.throws(
      () => makeStore(init),
      (e: unknown) => e instanceof RangeError,
      JSON.stringify(init),
    );
  }
  assert.instance(makeStore().store, LocalStore);
});

test("LocalStore() takes its kinds as a list too, and the clock's now() as default time", () => {
  const clock = new ManualClock();
  const store = new LocalStore({ kinds: DEFAULT_KINDS, clock });
  store.store(sipStore([registration(ALICE_NODE, "a", { lifetime: 10 })]));
  assert.is(store.fetch(AOR, [ALL_REGISTRATIONS], clock.now() + 4_000)[0]!.values[0]!.lifetime, 6);
  assert.is(store.sweep(clock.now() + 9_999), 0);
  assert.is(store.sweep(clock.now() + 10_000), 1);
});

test.run();
