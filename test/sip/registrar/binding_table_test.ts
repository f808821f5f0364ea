import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseNameAddr } from "../../../src/codec/sip/mod.ts";
import {
  type Binding,
  BindingTable,
  canonicalAor,
  contactKey,
  type ContactRequest,
  type RegisterUpdate,
} from "../../../src/sip/registrar/mod.ts";

type Flow = string;
const AOR = "sip:alice@example.org";

function contact(text: string): ContactRequest {
  const parsed = parseNameAddr(text);
  return { uri: parsed.uri, displayName: parsed.displayName, params: parsed.params };
}

function update(
  contacts: readonly string[] | "*",
  fields: Partial<RegisterUpdate<Flow>> = {},
): RegisterUpdate<Flow> {
  return {
    aor: AOR,
    callId: "call-1",
    cseq: 1,
    contacts: contacts === "*" ? "*" : contacts.map(contact),
    flow: "udp:198.51.100.7:5060",
    ...fields,
  };
}

const uris = (bindings: readonly Binding<Flow>[]) => bindings.map((b) => b.uri);

test("canonicalAor() drops parameters, lower-cases the host and folds sips into sip", () => {
  assert.is(canonicalAor("sips:Alice@Example.ORG;transport=tls"), "sip:Alice@example.org");
  assert.is(canonicalAor("sip:%61lice@example.org:5070"), "sip:alice@example.org:5070");
  assert.throws(() => canonicalAor("sip:example.org"), (e: unknown) => e instanceof RangeError);
  assert.throws(() => canonicalAor("tel:+1-201-555-0123"), (e: unknown) => e instanceof RangeError);
});

test("contactKey() follows RFC 3261 section 19.1.4 for the parts a key can express", () => {
  const same = [
    ["sip:alice@PC33.example.org;transport=UDP", "sip:alice@pc33.example.org;transport=udp;ob"],
    ["sip:%61lice@atlanta.com", "sip:alice@atlanta.com"],
  ];
  for (const [a, b] of same) assert.is(contactKey(a!), contactKey(b!), `${a} = ${b}`);
  const different = [
    ["sip:ALICE@atlanta.com", "sip:alice@atlanta.com"], // user is case-sensitive
    ["sip:alice@atlanta.com", "sip:alice@atlanta.com:5060"], // explicit default port differs
    ["sip:alice@atlanta.com", "sips:alice@atlanta.com"],
    ["sip:alice@atlanta.com", "sip:alice@atlanta.com;transport=tcp"],
    ["sip:bob@biloxi.com;method=REGISTER", "sip:bob@biloxi.com;method=register"],
  ];
  for (const [a, b] of different) assert.is.not(contactKey(a!), contactKey(b!), `${a} != ${b}`);
});

test("BindingTable.register() binds contacts with the Expires header, the param, or the default", () => {
  const table = new BindingTable<Flow>({ defaultExpiresSeconds: 1800 });
  const outcome = table.register(
    update(["<sip:alice@192.0.2.4:5062>;expires=120", "<sip:alice@192.0.2.4:5064>"], {
      expires: 600,
    }),
    0,
  );
  assert.ok(outcome.ok);
  assert.equal(outcome.ok && outcome.bindings.map((b) => b.expiresAt), [120_000, 600_000]);
  assert.ok(outcome.ok && outcome.changed);
  const fallback = table.register(
    update(["<sip:alice@192.0.2.9>"], { aor: "sip:bob@example.org" }),
    0,
  );
  assert.equal(fallback.ok && fallback.bindings[0]!.expiresAt, 1_800_000);
  assert.is(table.size, 3);
  assert.is(table.aorCount, 2);
});

test("BindingTable.register() answers 423 under the minimum and shortens over the maximum", () => {
  const table = new BindingTable<Flow>({ minExpiresSeconds: 60, maxExpiresSeconds: 900 });
  const brief = table.register(update(["<sip:alice@192.0.2.4>"], { expires: 30 }), 0);
  assert.equal(brief, { ok: false, status: 423, reason: "Interval Too Brief", minExpires: 60 });
  const long = table.register(update(["<sip:alice@192.0.2.4>"], { expires: 7200 }), 0);
  assert.equal(long.ok && long.bindings[0]!.expiresAt, 900_000);
  assert.is(table.size, 1);
});

test("BindingTable.register() refuses an out-of-order CSeq on the same Call-ID and changes nothing", () => {
  const table = new BindingTable<Flow>();
  table.register(update(["<sip:alice@192.0.2.4>"], { cseq: 5, expires: 600 }), 0);
  const stale = table.register(
    update(["<sip:alice@192.0.2.4>", "<sip:alice@192.0.2.5>"], { cseq: 5, expires: 900 }),
    1000,
  );
  assert.equal(stale, { ok: false, status: 500, reason: "Out of order CSeq" });
  assert.equal(uris(table.lookup(AOR, 1000)), ["sip:alice@192.0.2.4"]);
  assert.is(table.lookup(AOR, 1000)[0]!.expiresAt, 600_000);
  // another Call-ID (the phone rebooted) may update whatever its CSeq
  const other = table.register(
    update(["<sip:alice@192.0.2.4>"], { callId: "call-2", cseq: 1, expires: 300 }),
    1000,
  );
  assert.ok(other.ok);
  assert.is(table.lookup(AOR, 1000)[0]!.expiresAt, 301_000);
});

test("BindingTable.register() removes one binding with expires 0 and all with the wildcard", () => {
  const table = new BindingTable<Flow>();
  table.register(
    update(["<sip:alice@192.0.2.4>", "<sip:alice@192.0.2.5>", "<sip:alice@192.0.2.6>"], {
      expires: 600,
    }),
    0,
  );
  const one = table.register(update(["<sip:alice@192.0.2.5>;expires=0"], { cseq: 2 }), 0);
  assert.equal(one.ok && uris(one.bindings), ["sip:alice@192.0.2.4", "sip:alice@192.0.2.6"]);
  const badWildcard = table.register(update("*", { cseq: 3, expires: 600 }), 0);
  assert.is(!badWildcard.ok && badWildcard.status, 400);
  const staleWildcard = table.register(update("*", { cseq: 1, expires: 0 }), 0);
  assert.is(!staleWildcard.ok && staleWildcard.status, 500);
  const all = table.register(update("*", { cseq: 3, expires: 0 }), 0);
  assert.equal(all.ok && all.bindings, []);
  assert.is(table.size, 0);
  assert.is(table.aorCount, 0);
});

test("BindingTable.register() with no Contact is a query that changes nothing", () => {
  const changes: string[] = [];
  const table = new BindingTable<Flow>({}, { onChange: (aor) => changes.push(aor) });
  table.register(update(["<sip:alice@192.0.2.4>"], { expires: 600 }), 0);
  const query = table.register(update([], { callId: "other", cseq: 1 }), 10);
  assert.equal(query.ok && uris(query.bindings), ["sip:alice@192.0.2.4"]);
  assert.is(query.ok && query.changed, false);
  assert.equal(changes, [AOR]);
});

test("BindingTable orders bindings by q, keeps Path and the flow, and strips expires", () => {
  const table = new BindingTable<Flow>();
  const outcome = table.register(
    update(
      ['"Desk" <sip:alice@192.0.2.4>;q=0.1;expires=300', "<sip:alice@192.0.2.5>;q=0.9"],
      { path: ["<sip:p1.example.net;lr>"], flow: "tcp:conn-7" },
    ),
    0,
  );
  assert.ok(outcome.ok);
  const [first, second] = outcome.ok ? outcome.bindings : [];
  assert.is(first!.uri, "sip:alice@192.0.2.5");
  assert.is(first!.q, 900);
  assert.is(second!.displayName, "Desk");
  assert.equal(second!.params.map((p) => p.name), ["q"]);
  assert.equal(second!.path, ["<sip:p1.example.net;lr>"]);
  assert.is(second!.flow, "tcp:conn-7");
});

test("BindingTable replaces a binding with the same +sip.instance and reg-id (RFC 5626)", () => {
  const table = new BindingTable<Flow>();
  const instance = '"<urn:uuid:00000000-0000-1000-8000-000a95a0e128>"';
  table.register(
    update([`<sip:alice@192.0.2.4:5060>;+sip.instance=${instance};reg-id=1`], { expires: 600 }),
    0,
  );
  const rebooted = table.register(
    update([`<sip:alice@192.0.2.4:40123>;+sip.instance=${instance};reg-id=1`], {
      callId: "after-reboot",
      expires: 600,
      flow: "udp:192.0.2.4:40123",
    }),
    5000,
  );
  assert.equal(rebooted.ok && uris(rebooted.bindings), ["sip:alice@192.0.2.4:40123"]);
  assert.is(table.size, 1);
});

test("BindingTable drops the binding that lapses first at the per-AOR cap, and refuses 503 at the total", () => {
  const drops: string[] = [];
  const table = new BindingTable<Flow>(
    { maxBindingsPerAor: 2, maxBindings: 3, fullRetryAfterSeconds: 120 },
    { onDrop: (reason, binding) => drops.push(`${reason} ${binding.uri}`) },
  );
  table.register(update(["<sip:alice@192.0.2.1>"], { expires: 300 }), 0);
  table.register(update(["<sip:alice@192.0.2.2>"], { cseq: 2, expires: 900 }), 0);
  const third = table.register(update(["<sip:alice@192.0.2.3>"], { cseq: 3, expires: 600 }), 0);
  assert.equal(third.ok && uris(third.bindings), ["sip:alice@192.0.2.2", "sip:alice@192.0.2.3"]);
  assert.equal(drops, ["aor_cap sip:alice@192.0.2.1"]);
  table.register(update(["<sip:bob@192.0.2.8>"], { aor: "sip:bob@example.org", expires: 600 }), 0);
  assert.is(table.size, 3);
  const full = table.register(
    update(["<sip:carol@192.0.2.9>"], { aor: "sip:carol@example.org", expires: 600 }),
    0,
  );
  assert.equal(full, { ok: false, status: 503, reason: "Registrar full", retryAfter: 120 });
  // a refresh of an existing binding still works at the total cap
  const refresh = table.register(
    update(["<sip:bob@192.0.2.8>"], { aor: "sip:bob@example.org", cseq: 2, expires: 600 }),
    0,
  );
  assert.ok(refresh.ok);
});

test("BindingTable.sweep() removes lapsed bindings and reports each AOR's new set", () => {
  const changes: Array<[string, number]> = [];
  const drops: string[] = [];
  const table = new BindingTable<Flow>({}, {
    onChange: (aor, bindings) => changes.push([aor, bindings.length]),
    onDrop: (reason) => drops.push(reason),
  });
  table.register(
    update(["<sip:alice@192.0.2.4>;expires=60", "<sip:alice@192.0.2.5>;expires=600"]),
    0,
  );
  changes.length = 0;
  assert.equal(uris(table.lookup(AOR, 60_000)), ["sip:alice@192.0.2.5"]); // lapsed: not served
  assert.is(table.sweep(59_999), 0);
  assert.is(table.sweep(60_000), 1);
  assert.equal(changes, [[AOR, 1]]);
  assert.equal(drops, ["expired"]);
  assert.is(table.sweep(600_000), 1);
  assert.is(table.size, 0);
  assert.is(table.aorCount, 0);
});

test("BindingTable.register() refuses a malformed contact or expires parameter with 400", () => {
  const table = new BindingTable<Flow>();
  const badUri = table.register(
    { ...update([]), contacts: [{ uri: "sip:", params: [] }] },
    0,
  );
  assert.is(!badUri.ok && badUri.status, 400);
  const badExpires = table.register(update(["<sip:alice@192.0.2.4>;expires=soon"]), 0);
  assert.is(!badExpires.ok && badExpires.status, 400);
  assert.is(table.size, 0);
});

test("BindingTable.findContact() finds a live binding by its contact URI, and forgets removed ones", () => {
  const table = new BindingTable<Flow>();
  table.register(
    update(["<sip:alice@192.0.2.4:5062;transport=TCP>"], { expires: 60, flow: "tcp:9" }),
    0,
  );
  assert.is(table.findContact("sip:alice@192.0.2.4:5062;transport=tcp", 0)?.flow, "tcp:9");
  assert.is(table.findContact("sip:alice@192.0.2.4:5063;transport=tcp", 0), undefined);
  assert.is(table.findContact("sip:alice@192.0.2.4:5062;transport=tcp", 60_000), undefined);
  assert.is(table.findContact("not a uri", 0), undefined);
  table.register(update(["<sip:alice@192.0.2.4:5062;transport=tcp>;expires=0"], { cseq: 2 }), 0);
  assert.is(table.findContact("sip:alice@192.0.2.4:5062;transport=tcp", 0), undefined);
});

test.run();
