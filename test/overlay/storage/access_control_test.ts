import { test } from "uvu";
import * as assert from "uvu/assert";
import type { StoredValue } from "../../../src/codec/overlay/messages/stored_data.ts";
import { resourceId } from "../../../src/identity/resource_id.ts";
import {
  checkAccess,
  nodeMatchResourceId,
  nodeMultipleResourceId,
} from "../../../src/overlay/storage/access_control.ts";
import {
  type KindDefinition,
  SIP_REGISTRATION,
  TURN_SERVICE,
} from "../../../src/overlay/storage/kinds.ts";
import { StorageError } from "../../../src/overlay/storage/storage_error.ts";
import { ALICE_NODE, BOB_NODE } from "./signed_values.ts";

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
const single: StoredValue = { model: "single", exists: true, data: new Uint8Array(4) };
const entry = (key: Uint8Array): StoredValue => ({
  model: "dictionary",
  key,
  exists: true,
  data: new Uint8Array(4),
});

function refusal(run: () => void): string {
  try {
    run();
  } catch (error) {
    if (error instanceof StorageError) return `${error.reason}: ${error.message}`;
    throw error;
  }
  return "allowed";
}

const kind = (accessPolicy: KindDefinition["accessPolicy"]): KindDefinition => ({
  id: 77,
  name: "T",
  dataModel: "dictionary",
  accessPolicy,
  maxCount: 4,
  maxSize: 64,
});

test("nodeMultipleResourceId() is SHA-256(node id || i as uint32 BE)[0..16]", () => {
  // Expected values from Python's hashlib over RFC 8032 TEST 1's node id.
  assert.is(hex(ALICE_NODE.nodeId), "21fe31dfa154a261626bf854046fd227");
  assert.is(hex(nodeMultipleResourceId(ALICE_NODE.nodeId, 0)), "7025664225d300e05c9aff5fad50d682");
  assert.is(hex(nodeMultipleResourceId(ALICE_NODE.nodeId, 3)), "7f7a7a3970afdf742f93f18920f2a3cf");
  assert.is(hex(nodeMultipleResourceId(ALICE_NODE.nodeId, 7)), "e35a98aeb19319c546f0fb532ddfa5d0");
  assert.is(hex(nodeMatchResourceId(ALICE_NODE.nodeId)), "591f459d4718230a24cefaf5f6a21679");
  assert.throws(
    () => nodeMultipleResourceId(ALICE_NODE.nodeId, -1),
    (e: unknown) => e instanceof RangeError,
  );
});

test("checkAccess() NODE-MULTIPLE allows H(node || i) for i below maxNodeMultiple only", () => {
  const signer = { nodeId: ALICE_NODE.nodeId };
  for (let i = 0; i < 8; i++) {
    assert.is(
      refusal(() =>
        checkAccess(TURN_SERVICE, nodeMultipleResourceId(ALICE_NODE.nodeId, i), single, signer)
      ),
      "allowed",
    );
  }
  assert.match(
    refusal(() =>
      checkAccess(TURN_SERVICE, nodeMultipleResourceId(ALICE_NODE.nodeId, 8), single, signer)
    ),
    /^forbidden: .*for any i below 8/,
  );
  assert.match(
    refusal(() =>
      checkAccess(TURN_SERVICE, nodeMultipleResourceId(BOB_NODE.nodeId, 0), single, signer)
    ),
    /^forbidden/,
    "another node's slot",
  );
});

test("checkAccess() NODE-DICTIONARY-KEY allows only the signer's own dictionary key", () => {
  const aor = resourceId("sip:alice@mesh.example.org");
  assert.is(
    refusal(() => checkAccess(SIP_REGISTRATION, aor, entry(BOB_NODE.nodeId), BOB_NODE)),
    "allowed",
  );
  assert.match(
    refusal(() => checkAccess(SIP_REGISTRATION, aor, entry(ALICE_NODE.nodeId), BOB_NODE)),
    /^forbidden: .*is not the signer's node id/,
  );
  assert.match(
    refusal(() => checkAccess(SIP_REGISTRATION, aor, single, BOB_NODE)),
    /^wrong-model/,
  );
});

test("checkAccess() NODE-MATCH allows only H(signer's node id)", () => {
  const k = kind("NODE-MATCH");
  const value = entry(new Uint8Array([1]));
  assert.is(
    refusal(() => checkAccess(k, nodeMatchResourceId(ALICE_NODE.nodeId), value, ALICE_NODE)),
    "allowed",
  );
  assert.match(
    refusal(() => checkAccess(k, nodeMatchResourceId(BOB_NODE.nodeId), value, ALICE_NODE)),
    /^forbidden: .*is not H\(signer's node id\)/,
  );
});

test("checkAccess() USER-MATCH is forbidden without a user name, and needs H(user name)", () => {
  const k = kind("USER-MATCH");
  const value = entry(new Uint8Array([1]));
  // H("alice") from Python's hashlib: 2bd806c97f0e00af1a1fc3328fa763a9.
  const alice = resourceId("alice");
  assert.is(hex(alice), "2bd806c97f0e00af1a1fc3328fa763a9");
  assert.match(
    refusal(() => checkAccess(k, alice, value, { nodeId: ALICE_NODE.nodeId })),
    /^forbidden: .*needs the signer's user name, and none is known/,
  );
  assert.is(
    refusal(() => checkAccess(k, alice, value, { nodeId: ALICE_NODE.nodeId, userName: "alice" })),
    "allowed",
  );
  assert.match(
    refusal(() => checkAccess(k, alice, value, { nodeId: ALICE_NODE.nodeId, userName: "bob" })),
    /^forbidden: .*not H\(user name\)/,
  );
});

test("checkAccess() USER-NODE-MATCH needs both the user's resource and the node's key", () => {
  const k = kind("USER-NODE-MATCH");
  const alice = resourceId("alice");
  const signer = { nodeId: ALICE_NODE.nodeId, userName: "alice" };
  assert.is(refusal(() => checkAccess(k, alice, entry(ALICE_NODE.nodeId), signer)), "allowed");
  assert.match(
    refusal(() => checkAccess(k, alice, entry(BOB_NODE.nodeId), signer)),
    /^forbidden: .*dictionary key .* is not the signer's node id/,
  );
  assert.match(
    refusal(() => checkAccess(k, resourceId("bob"), entry(ALICE_NODE.nodeId), signer)),
    /^forbidden/,
  );
  assert.match(
    refusal(() => checkAccess(k, alice, entry(ALICE_NODE.nodeId), { nodeId: ALICE_NODE.nodeId })),
    /^forbidden: .*user name/,
  );
});

test.run();
