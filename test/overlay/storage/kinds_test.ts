import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  DEFAULT_KINDS,
  type KindDefinition,
  KindRegistry,
  SIP_REGISTRATION,
  TURN_SERVICE,
} from "../../../src/overlay/storage/kinds.ts";

test("DEFAULT_KINDS are IANA's SIP-REGISTRATION (1) and TURN-SERVICE (2)", () => {
  const kinds = new KindRegistry(DEFAULT_KINDS);
  assert.is(kinds.size, 2);
  assert.is(kinds.get(1), SIP_REGISTRATION);
  assert.is(kinds.get(2), TURN_SERVICE);
  assert.is(SIP_REGISTRATION.dataModel, "dictionary");
  assert.is(SIP_REGISTRATION.accessPolicy, "NODE-DICTIONARY-KEY");
  assert.is(SIP_REGISTRATION.maxCount, 64);
  assert.is(SIP_REGISTRATION.maxSize, 1024);
  assert.is(TURN_SERVICE.dataModel, "single");
  assert.is(TURN_SERVICE.accessPolicy, "NODE-MULTIPLE");
  assert.is(TURN_SERVICE.maxNodeMultiple, 8);
  assert.is(TURN_SERVICE.maxSize, 256);
  assert.equal([...kinds].map((k) => k.id), [1, 2]);
});

test("KindRegistry.add() refuses a duplicate kind id", () => {
  const kinds = new KindRegistry(DEFAULT_KINDS);
  assert.throws(
    () => kinds.add({ ...SIP_REGISTRATION, name: "OTHER" }),
    (e: unknown) => e instanceof TypeError && /already registered/.test(e.message),
  );
  assert.is(kinds.get(1)?.name, "SIP-REGISTRATION");
});

test("KindRegistry.add() refuses definitions the store could not honour", () => {
  const base: KindDefinition = {
    id: 50,
    name: "X",
    dataModel: "dictionary",
    accessPolicy: "NODE-MATCH",
    maxCount: 4,
    maxSize: 100,
  };
  const bad: Array<[Partial<KindDefinition>, RegExp]> = [
    [{ dataModel: "array", accessPolicy: "NODE-DICTIONARY-KEY" }, /needs the dictionary/],
    [{ dataModel: "single", maxCount: 1, accessPolicy: "USER-NODE-MATCH" }, /needs the dictionary/],
    [{ dataModel: "single", maxCount: 2 }, /maxCount 1/],
    [{ maxCount: 0 }, /maxCount must be 1 to 256/],
    [{ maxCount: 257 }, /maxCount must be 1 to 256/],
    [{ maxSize: 8193 }, /maxSize must be 1 to 8192/],
    [{ accessPolicy: "NODE-MULTIPLE" }, /maxNodeMultiple of 1 to 256/],
    [{ accessPolicy: "NODE-MULTIPLE", maxNodeMultiple: 100_000 }, /maxNodeMultiple of 1 to 256/],
    [{ maxNodeMultiple: 4 }, /only for NODE-MULTIPLE/],
    [{ id: -1 }, /not a uint32/],
  ];
  for (const [change, message] of bad) {
    const kinds = new KindRegistry();
    assert.throws(
      () => kinds.add({ ...base, ...change }),
      (e: unknown) => e instanceof Error && message.test(e.message),
      JSON.stringify(change),
    );
    assert.is(kinds.size, 0);
  }
});

test.run();
