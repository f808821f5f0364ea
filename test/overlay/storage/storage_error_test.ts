import { test } from "uvu";
import * as assert from "uvu/assert";
import { SuperpeerError } from "../../../src/core/errors.ts";
import {
  STORAGE_ERROR_CODES,
  STORAGE_ERROR_REASONS,
  StorageError,
} from "../../../src/overlay/storage/storage_error.ts";

test("StorageError maps each reason to its RFC 6940 section 14.9 error code", () => {
  // Numbers from the RFC's "RELOAD Error Code" registry, not from our constants.
  assert.equal(STORAGE_ERROR_CODES, {
    "forbidden": 2,
    "unknown-kind": 12,
    "generation-too-low": 5,
    "data-too-old": 9,
    "data-too-large": 8,
    "bad-signature": 2,
    "wrong-model": 2,
  });
  assert.equal(Object.keys(STORAGE_ERROR_CODES).sort(), [...STORAGE_ERROR_REASONS].sort());
});

test("StorageError is a SuperpeerError with code OVERLAY_STORAGE, its reason and kind", () => {
  const error = new StorageError("data-too-old", "Cannot store kind 1: older", { kind: 1 });
  assert.instance(error, SuperpeerError);
  assert.is(error.code, "OVERLAY_STORAGE");
  assert.is(error.name, "StorageError");
  assert.is(error.reason, "data-too-old");
  assert.is(error.errorCode, 9);
  assert.is(error.kind, 1);
  assert.is(new StorageError("forbidden", "x").kind, undefined);
});

test.run();
