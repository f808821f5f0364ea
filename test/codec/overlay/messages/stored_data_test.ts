import { test } from "uvu";
import * as assert from "uvu/assert";
import type { CborValue } from "../../../../src/codec/cbor/cbor_codec.ts";
import { OverlayEncodeError } from "../../../../src/codec/overlay/overlay_errors.ts";
import {
  encodeStoredDataToBeSigned,
  MAX_STORED_DATA_BYTES,
  type StoredData,
} from "../../../../src/codec/overlay/messages/stored_data.ts";
import { MessageCode } from "../../../../src/codec/overlay/constants.ts";
import {
  assertDecodeFails,
  assertEncodeFails,
  id,
  roundTrip,
  toHex,
} from "./message_test_helpers.ts";

const signature = { signerKey: id(0x33, 32), sig: id(0x44, 64) };
const stored = (value: StoredData["value"]): StoredData => ({
  storageTime: 1_700_000_000,
  lifetime: 3600,
  value,
  signature,
});
const fetchAns = (values: StoredData[]) => ({
  code: MessageCode.FetchAns,
  kindData: [{ kind: 20, generation: 7, values }],
} as const);

test("encodeStoredData round-trips values of all three data models", () => {
  roundTrip(fetchAns([
    stored({ model: "single", exists: true, data: new Uint8Array(MAX_STORED_DATA_BYTES).fill(1) }),
    stored({ model: "array", index: 0xffff_ffff, exists: false, data: new Uint8Array(0) }),
    stored({ model: "dictionary", key: id(0x6b, 255), exists: true, data: new Uint8Array([1]) }),
  ]));
});

test("encodeStoredDataToBeSigned writes [rid, kind, storage-time, value] byte for byte", () => {
  // 84, 50 + 16 x 11, 14 (20), 19 03 e8 (1000), 83 01 f5 41 01 ([1, true, h'01'])
  const bytes = encodeStoredDataToBeSigned(id(0x11), 20, 1000, {
    model: "single",
    exists: true,
    data: new Uint8Array([1]),
  });
  assert.is(toHex(bytes), `8450${"11".repeat(16)}141903e88301f54101`);
});

test("encodeStoredDataToBeSigned leaves the lifetime out and covers the value", () => {
  const value = {
    model: "dictionary",
    key: new Uint8Array([1]),
    exists: true,
    data: new Uint8Array([2]),
  } as const;
  const a = encodeStoredDataToBeSigned(id(1), 20, 1000, value);
  const b = encodeStoredDataToBeSigned(id(1), 20, 1000, { ...value, data: new Uint8Array([3]) });
  assert.is.not(toHex(a), toHex(b));
  // [rid, 20, 1000, [3, h'01', true, h'02']]
  assert.is(toHex(a), `8450${"01".repeat(16)}141903e884034101f54102`);
});

test("encodeStoredDataToBeSigned refuses a 15-byte resource id and a bad value", () => {
  const value = { model: "single", exists: true, data: new Uint8Array(0) } as const;
  assert.throws(
    () => encodeStoredDataToBeSigned(id(1, 15), 20, 1000, value),
    (e: unknown) => e instanceof OverlayEncodeError && /storedData\.resourceId:/.test(e.message),
  );
  assert.throws(() => encodeStoredDataToBeSigned(id(1), 2 ** 32, 1000, value), /storedData\.kind:/);
  assert.throws(
    () => encodeStoredDataToBeSigned(id(1), 20, 1000, { ...value, data: new Uint8Array(8193) }),
    /storedData\.value\.data:/,
  );
});

const sig = [id(0x33, 32), id(0x44, 64)];
const wire = (value: CborValue): CborValue => [10, [[20, 7, [[1000, 60, value, sig]]]]];

test("decodeStoredData refuses bad values at their place", () => {
  const at = "FetchAns.kindData[0].values[0]";
  assertDecodeFails(wire([4, true, new Uint8Array(0)]), `${at}.value.model`);
  assertDecodeFails(wire([1, true]), `${at}.value`);
  assertDecodeFails(wire([1, 1, 2, new Uint8Array(0)]), `${at}.value`);
  assertDecodeFails(wire([1, 1, new Uint8Array(0)]), `${at}.value.exists`);
  assertDecodeFails(wire([1, true, new Uint8Array(8193)]), `${at}.value.data`);
  assertDecodeFails(wire([2, "i", true, new Uint8Array(0)]), `${at}.value.index`);
  assertDecodeFails(wire([3, new Uint8Array(0), true, new Uint8Array(0)]), `${at}.value.key`);
  assertDecodeFails(wire([3, new Uint8Array(256), true, new Uint8Array(0)]), `${at}.value.key`);
  assertDecodeFails([10, [[20, 7, [[1000, 60, [1, true, new Uint8Array(0)], [
    id(0x33, 31),
    id(0x44, 64),
  ]]]]]], `${at}.signature.signerKey`);
  assertDecodeFails([10, [[20, 7, [[1000, 60, [1, true, new Uint8Array(0)], [
    id(0x33, 32),
    id(0x44, 63),
  ]]]]]], `${at}.signature.sig`);
  assertDecodeFails([10, [[20, 7, [[1000, 60, [1, true, new Uint8Array(0)]]]]]], at);
});

test("encodeStoredData refuses bad values naming their place", () => {
  const at = "FetchAns.kindData[0].values[0]";
  const single = { model: "single", exists: true, data: new Uint8Array(0) };
  assertEncodeFails(
    fetchAns([{ ...stored(single as StoredData["value"]), storageTime: -1 }]),
    `${at}.storageTime`,
  );
  assertEncodeFails(
    fetchAns([
      stored({
        model: "dictionary",
        key: new Uint8Array(0),
        exists: true,
        data: new Uint8Array(0),
      }),
    ]),
    `${at}.value.key`,
  );
  assertEncodeFails(
    fetchAns([stored({ model: "array", index: 1.5, exists: true, data: new Uint8Array(0) })]),
    `${at}.value.index`,
  );
  assertEncodeFails(
    fetchAns([stored({ ...single, model: "list" } as unknown as StoredData["value"])]),
    `${at}.value.model`,
  );
  assertEncodeFails(
    fetchAns([{
      ...stored(single as StoredData["value"]),
      signature: { ...signature, sig: id(1, 32) },
    }]),
    `${at}.signature.sig`,
  );
});

test.run();
