import { test } from "uvu";
import * as assert from "uvu/assert";
import { encodeTxtPairs } from "../../src/codec/dns/txt_pairs.ts";
import { judgeOverlayPeer, overlayTxt } from "../../src/mdns/overlay_discovery.ts";

const OURS = { overlay: "mesh", cfg: "0a1b2c3d4e5f6071", id: "11".repeat(16), version: 1 };
const THEIRS = { ...OURS, id: "a2".repeat(16) };

test("judgeOverlayPeer() accepts a peer of our overlay, configuration and version, with its node id", () => {
  const verdict = judgeOverlayPeer(overlayTxt(THEIRS), OURS);
  assert.ok(verdict.ok);
  assert.equal([...verdict.nodeId], new Array(16).fill(0xa2));
});

test("judgeOverlayPeer() ignores other overlays, configurations, versions, ourselves and malformed TXT", () => {
  const cases: Array<[Uint8Array[], string]> = [
    [overlayTxt({ ...THEIRS, overlay: "other" }), "overlay"],
    [overlayTxt({ ...THEIRS, cfg: "ffffffffffffffff" }), "config"],
    [overlayTxt({ ...THEIRS, version: 2 }), "version"],
    [overlayTxt(OURS), "self"],
    [overlayTxt({ ...THEIRS, id: "xyz" }), "malformed"],
    [encodeTxtPairs({ overlay: "mesh", cfg: OURS.cfg, v: "1" }), "malformed"],
    [[new Uint8Array(0)], "malformed"],
    [
      encodeTxtPairs({ overlay: new Uint8Array([0xff]), cfg: OURS.cfg, id: THEIRS.id, v: "1" }),
      "malformed",
    ],
  ];
  for (const [txt, reason] of cases) {
    const verdict = judgeOverlayPeer(txt, OURS);
    assert.equal(verdict, { ok: false, reason }, reason);
  }
});

test.run();
