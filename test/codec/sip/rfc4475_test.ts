// RFC 4475 torture messages (rfc4475_messages.ts, transcribed by hand from the RFC's section 3):
// every valid one parses with the fields the RFC points out; every invalid one is refused
// with a typed SipParseError, by parseSipMessage() or, where RFC 4475 lets a proxy pass the message
// on, by the accessor of the element that would act on the bad field; and no parse disturbs another.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { getParam } from "../../../src/codec/sip/header_params.ts";
import { parseSipMessage } from "../../../src/codec/sip/parse_sip_message.ts";
import { parseDeltaSeconds, parseSipDate } from "../../../src/codec/sip/scalar_headers.ts";
import { serializeSipMessage } from "../../../src/codec/sip/serialize_sip_message.ts";
import { SipParseError, type SipParseErrorReason } from "../../../src/codec/sip/sip_errors.ts";
import type { SipMessage } from "../../../src/codec/sip/sip_message.ts";
import { SipStreamFramer } from "../../../src/codec/sip/sip_stream_framer.ts";
import { parseSipUri, type SipUri } from "../../../src/codec/sip/sip_uri.ts";
import { hasRfc3261Branch } from "../../../src/codec/sip/via.ts";
import { RFC4475_MESSAGES, rfc4475Bytes } from "./rfc4475_messages.ts";

const load = rfc4475Bytes;
const sipUri = (text: string) => parseSipUri(text) as SipUri;

function refusal(fn: () => unknown): SipParseError {
  try {
    fn();
  } catch (error) {
    if (error instanceof SipParseError) return error;
    throw error;
  }
  throw new Error("expected a SipParseError");
}

/** RFC 4475 section 3.1.1: valid messages, with the details each one tortures. */
const VALID: Record<string, (m: SipMessage) => void> = {
  wsinv: (m) => { // 3.1.1.1 A Short Tortuous INVITE
    assert.is(m.method, "INVITE");
    assert.is(m.uri, "sip:vivekg@chair-dnrc.example.com;unknownparam");
    assert.is(m.to().uri, "sip:vivekg@chair-dnrc.example.com");
    assert.is(getParam(m.to().params, "tag"), "1918181833n");
    assert.is(m.from().displayName, 'J Rosenberg \\"'); // "J Rosenberg \\\"" unquoted
    assert.is(getParam(m.from().params, "tag"), "98asjd8");
    assert.is(m.maxForwards(), 68);
    assert.equal(m.cseq(), { seq: 9, method: "INVITE" }); // folded "0009\r\n  INVITE"
    assert.equal(m.via().map((v) => [v.transport, v.host, v.branch]), [
      ["UDP", "192.0.2.2", "390skdjuw"],
      ["TCP", "spindle.example.com", "z9hG4bK9ikj8"],
      ["UDP", "192.168.255.111", "z9hG4bK30239"],
    ]);
    assert.is(m.headers.get("subject"), ""); // "s :" compact, empty
    assert.is(m.headers.get("newfangledheader"), "newfangled value continued newfangled value");
    assert.is(m.headers.get("UnknownHeaderWithUnusualValue"), ";;,,;;,;");
    const contacts = m.contacts();
    assert.ok(contacts !== "*");
    assert.is(contacts[0]!.displayName, 'Quoted string ""');
    assert.equal(contacts[0]!.params.map((p) => [p.name, p.value]), [
      ["newparam", "newvalue"],
      ["secondparam", undefined],
      ["q", "0.33"],
    ]);
    assert.is(m.routes()[0]!.uri, "sip:services.example.com;lr;unknownwith=value;unknown-no-value");
    assert.is(m.body.length, 150);
  },
  intmeth: (m) => { // 3.1.1.2 Wide Range of Valid Characters
    assert.is(m.method, "!interesting-Method0123456789_*+`.%indeed'~");
    const uri = sipUri(m.uri);
    assert.is(uri.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
    assert.is(uri.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
    assert.is(uri.host, "example.com");
    assert.is(m.to().displayName, "BEL:\x07 NUL:\x00 DEL:\x7f");
    assert.is(m.from().displayName, "token1~` token2'+_ token3*%!.-");
    assert.is(getParam(m.from().params, "tag"), "_token~1'+`*%!-.");
    assert.is(m.callId(), "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");
    assert.is(m.cseq().method, m.method);
    assert.is(m.maxForwards(), 255);
    assert.is(m.headers.get("extensionHeader-!.%*+_`'~"), "\u{FEFF}\u5927\u505C\u96FB");
  },
  esc01: (m) => { // 3.1.1.3 Valid Use of the % Escaping Mechanism
    assert.is(sipUri(m.uri).user, "sips:user@example.com");
    assert.is(sipUri(m.to().uri).user, "user");
    assert.is(sipUri(m.from().uri).user, "I have spaces");
    const contacts = m.contacts();
    assert.ok(contacts !== "*");
    const contact = sipUri(contacts[0]!.uri);
    assert.is(contact.user, "caller");
    assert.equal(contact.params, [{ name: "lr", value: undefined }, {
      name: "name",
      value: "value%41",
    }]);
    assert.is(m.callId(), "esc01.239409asdfakjkn23onasd0-3234"); // compact "i"
    assert.is(m.headers.get("Content-Type"), "application/sdp"); // compact "C"
  },
  escnull: (m) => { // 3.1.1.4 Escaped Nulls in URIs
    assert.is(sipUri(m.to().uri).user, "null-\0-null");
    const contacts = m.contacts();
    assert.ok(contacts !== "*");
    assert.equal(contacts.map((c) => sipUri(c.uri).user), ["\0", "\0\0"]);
  },
  esc02: (m) => { // 3.1.1.5 Use of % When It Is Not an Escape
    assert.is(m.method, "RE%47IST%45R"); // a method of its own, not REGISTER
    assert.is(m.to().displayName, "%Z%45");
    const contacts = m.contacts();
    assert.ok(contacts !== "*");
    assert.is(contacts.length, 2); // "C%6Fntact" is an extension header, not a third Contact
    assert.is(m.headers.get("C%6Fntact"), "<sip:alias2@host2.example.com>");
    assert.is(m.topVia().branch, "z9hG4bK209%fzsnel234");
  },
  lwsdisp: (m) => { // 3.1.1.6 Message with No LWS between Display Name and <
    assert.is(m.from().displayName, "caller");
    assert.is(m.from().uri, "sip:caller@example.com");
  },
  longreq: (m) => { // 3.1.1.7 Long Values in Header Fields
    assert.ok(m.to().displayName!.includes("extremeextreme"));
    assert.ok(m.to().displayName!.endsWith(" proportion"));
    assert.is(m.via().length, 34);
    assert.is(m.via()[0]!.host, "sip33.example.com");
    assert.ok(m.callId().startsWith("longreq.onereally"));
    assert.is(m.body.length, 150);
  },
  dblreq: (m) => { // 3.1.1.8 Extra Trailing Octets in a UDP Datagram
    assert.is(m.method, "REGISTER");
    assert.is(m.body.length, 0); // the INVITE after the body is discarded
  },
  semiuri: (m) => { // 3.1.1.9 Semicolon-Separated Parameters in URI User Part
    const uri = sipUri(m.uri);
    assert.is(uri.user, "user;par=u@example.net");
    assert.is(uri.host, "example.com");
    assert.equal(uri.params, []);
    assert.is(m.headers.values("accept")!.length, 6);
  },
  transports: (m) => { // 3.1.1.10 Varied and Unknown Transport Types
    assert.equal(m.via().map((v) => v.transport), ["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"]);
  },
  mpart01: (m) => { // 3.1.1.11 Multipart MIME Message (binary body)
    assert.is(m.body.length, 553);
    assert.ok(m.body.some((b) => b === 0), "binary body kept byte for byte");
    assert.ok(m.headers.get("content-type")!.startsWith("multipart/mixed"));
  },
  unreason: (m) => { // 3.1.1.12 Unusual Reason Phrase
    assert.is(m.status, 200);
    assert.ok(m.reason.startsWith("= 2**3 * 5**2 \u043d\u043e"), m.reason);
  },
  noreason: (m) => { // 3.1.1.13 Empty Reason Phrase
    assert.is(m.status, 100);
    assert.is(m.reason, "");
  },
};

for (const [name, check] of Object.entries(VALID)) {
  test(`parseSipMessage() accepts RFC 4475 ${name} with its tortured fields`, () => {
    check(parseSipMessage(load(name)));
  });
}

/** RFC 4475 section 3.1.2: invalid messages refused by parseSipMessage(), with the reason. */
const REFUSED: Record<string, [SipParseErrorReason, string]> = {
  badinv01: ["VALUE", "Via"], // 3.1.2.1 extraneous ";;,;,," in Via (Contact ";;;;" too)
  clerr: ["CONTENT_LENGTH", "Content-Length"], // 3.1.2.2 Content-Length past the datagram
  ncl: ["CONTENT_LENGTH", "Content-Length"], // 3.1.2.3 negative Content-Length
  scalar02: ["VALUE", "CSeq"], // 3.1.2.4 CSeq 2**65 (also Max-Forwards 300)
  scalarlg: ["VALUE", "CSeq"], // 3.1.2.5 response with CSeq past 2**31
  quotbal: ["VALUE", "To"], // 3.1.2.6 unterminated quoted display name
  ltgtruri: ["START_LINE", "start line"], // 3.1.2.7 <> around the Request-URI
  lwsruri: ["START_LINE", "start line"], // 3.1.2.8 LWS inside the Request-URI
  lwsstart: ["START_LINE", "start line"], // 3.1.2.9 several SP between elements
  trws: ["START_LINE", "start line"], // 3.1.2.10 SP after the version
  escruri: ["START_LINE", "start line"], // 3.1.2.11 escaped headers in the Request-URI
  badaspec: ["VALUE", "To"], // 3.1.2.14 spaces inside <>: we take the strict reading (400)
  baddn: ["VALUE", "From"], // 3.1.2.15 unquoted display name with a comma
  badvers: ["VERSION", "start line"], // 3.1.2.16 SIP/7.0: answered 505
  mismatch01: ["MISMATCH", "CSeq"], // 3.1.2.17 OPTIONS with CSeq INVITE
  mismatch02: ["MISMATCH", "CSeq"], // 3.1.2.18 NEWMETHOD with CSeq INVITE: 400 (not 501)
  bigcode: ["START_LINE", "start line"], // 3.1.2.19 Status-Code 4294967301
  insuf: ["MISSING_HEADER", "From"], // 3.3.1 no From, To, Call-ID: 400
  multi01: ["DUPLICATE_HEADER", "Max-Forwards"], // 3.3.8 repeated single headers
  mcl01: ["DUPLICATE_HEADER", "Content-Length"], // 3.3.9 two Content-Length values
};

for (const [name, [reason, place]] of Object.entries(REFUSED)) {
  test(`parseSipMessage() refuses RFC 4475 ${name}: ${reason} at ${place}`, () => {
    const error = refusal(() => parseSipMessage(load(name)));
    assert.is(error.reason, reason, error.message);
    assert.is(error.place, place);
    assert.is(error.code, "SIP_PARSE");
    assert.is(error.status, reason === "VERSION" ? 505 : 400);
  });
}

test("RFC 4475 refusals after the header fields carry the message to answer, responses included", () => {
  // A server answers these requests (400/505) from Via, From, To, Call-ID and CSeq; responses
  // (scalarlg, bigcode) are dropped. Start-line faults leave nothing to answer from.
  for (const name of ["clerr", "ncl", "mismatch01", "insuf", "multi01", "mcl01", "badinv01"]) {
    const error = refusal(() => parseSipMessage(load(name)));
    assert.ok(error.parsed?.isRequest, name);
    assert.ok(error.parsed!.headers.has("via"), name);
  }
  assert.is(refusal(() => parseSipMessage(load("scalarlg"))).parsed?.isRequest, false);
  assert.is(refusal(() => parseSipMessage(load("bigcode"))).parsed, undefined);
  assert.is(refusal(() => parseSipMessage(load("lwsstart"))).parsed, undefined);
});

test("RFC 4475 3.1.2.12 baddate parses (a proxy forwards it); parseSipDate() refuses EST", () => {
  const m = parseSipMessage(load("baddate"));
  const error = refusal(() => parseSipDate(m.headers.get("date")!));
  assert.is(error.reason, "VALUE");
  assert.is(parseSipDate("Fri, 01 Jan 2010 16:00:00 GMT"), Date.UTC(2010, 0, 1, 16));
});

test("RFC 4475 3.1.2.13 regbadct parses; contacts() refuses the unbracketed URI with ?", () => {
  // Only the registrar reads Contact; it answers 400 from this error.
  const m = parseSipMessage(load("regbadct"));
  const error = refusal(() => m.contacts());
  assert.is(error.reason, "VALUE");
  assert.is(error.place, "Contact value 1");
});

test("RFC 4475 3.1.2.4 scalar02: expires values past 2**32-1 are clamped, not refused", () => {
  const m = parseSipMessage(load("scalar02"), { validate: false });
  assert.is(m.expires(), 0xffff_ffff);
  const contacts = m.contacts();
  assert.ok(contacts !== "*");
  assert.is(
    parseDeltaSeconds(getParam(contacts[0]!.params, "expires")!),
    0xffff_ffff, // 280297596632815
  );
  assert.is(refusal(() => m.maxForwards()).place, "Max-Forwards");
});

test("RFC 4475 3.2.1 badbranch parses; its bare z9hG4bK branch is not an RFC 3261 branch", () => {
  const m = parseSipMessage(load("badbranch"));
  assert.is(m.topVia().branch, "z9hG4bK");
  assert.not.ok(hasRfc3261Branch(m.topVia()));
});

test("RFC 4475 3.3 application-layer messages parse; URI faults show when the URI is parsed", () => {
  // 3.3.2 unkscm and 3.3.3 novelsc: a proxy answers 416 (Unsupported URI Scheme).
  for (const name of ["unkscm", "novelsc"]) {
    const m = parseSipMessage(load(name));
    const error = refusal(() => parseSipUri(m.uri));
    assert.is(error.reason, "URI_SCHEME");
    assert.is(error.status, 416);
  }
  // 3.3.4 unksm2: unknown schemes in To, From, Contact are still name-addrs.
  const unksm2 = parseSipMessage(load("unksm2"));
  assert.is(unksm2.to().uri, "isbn:2983792873");
  assert.is(unksm2.from().uri, "http://www.example.com");
  // 3.3.5 bext01: Require / Proxy-Require are lists the UAS / proxy answer 420 from.
  const bext01 = parseSipMessage(load("bext01"));
  assert.equal(bext01.headers.values("proxy-require"), [
    "noProxiesSupportThis",
    "norDoAnyProxiesSupportThis",
  ]);
  // 3.3.6 invut (unknown Content-Type, a UAS answers 415) and 3.3.7 regaut01 (unknown scheme).
  assert.is(
    parseSipMessage(load("invut")).headers.get("content-type"),
    "application/unknownformat",
  );
  assert.ok(parseSipMessage(load("regaut01")).headers.get("authorization")!.startsWith("NoOne"));
  // 3.3.10 bcast: a response with a broadcast Via is parsed; the transport decides not to send.
  assert.is(parseSipMessage(load("bcast")).via()[1]!.host, "255.255.255.255");
  // 3.3.11 zeromf: Max-Forwards 0 (a proxy answers 483, except OPTIONS addressed to it).
  assert.is(parseSipMessage(load("zeromf")).maxForwards(), 0);
  // 3.3.12 cparam01: unbracketed, so ";unknownparam" is a Contact parameter...
  const cparam01 = parseSipMessage(load("cparam01")).contacts();
  assert.ok(cparam01 !== "*");
  assert.equal(cparam01[0]!.params, [{ name: "unknownparam", value: undefined }]);
  assert.equal(sipUri(cparam01[0]!.uri).params, []);
  // ...3.3.13 cparam02: in <>, it is a URI parameter.
  const cparam02 = parseSipMessage(load("cparam02")).contacts();
  assert.ok(cparam02 !== "*");
  assert.equal(cparam02[0]!.params, []);
  assert.equal(sipUri(cparam02[0]!.uri).params, [{ name: "unknownparam", value: undefined }]);
  // 3.3.14 regescrt: an escaped Route header inside a bracketed Contact URI is legal.
  const regescrt = parseSipMessage(load("regescrt")).contacts();
  assert.ok(regescrt !== "*");
  assert.equal(sipUri(regescrt[0]!.uri).headers, [{
    name: "Route",
    value: "<sip:sip.example.com>",
  }]);
  // 3.3.15 sdp01: only the UAS cares about Accept.
  assert.is(parseSipMessage(load("sdp01")).method, "INVITE");
});

test("RFC 4475 3.4.1 inv2543 (RFC 2543 syntax) parses: no branch, no tag, no Max-Forwards", () => {
  // Accepted: a proxy handles it as from an RFC 2543 element (section 16.11 and 17.2.3). Without
  // Content-Length the body is the rest of the datagram.
  const m = parseSipMessage(load("inv2543"));
  assert.is(m.topVia().branch, undefined);
  assert.is(getParam(m.from().params, "tag"), undefined);
  assert.is(m.maxForwards(), undefined);
  assert.is(getParam(m.to().params, "user"), "phone"); // addr-spec: ;user= is a To parameter
  assert.ok(m.body.length > 0);
});

const ALL = RFC4475_MESSAGES.map((m) => m.name).sort();

test("RFC4475_MESSAGES holds all 49 messages, each classified by this file as the RFC does", () => {
  assert.is(ALL.length, 49);
  const handled = new Set([
    ...Object.keys(VALID),
    ...Object.keys(REFUSED),
    "baddate",
    "regbadct",
    "badbranch",
    "unkscm",
    "novelsc",
    "unksm2",
    "bext01",
    "invut",
    "regaut01",
    "bcast",
    "zeromf",
    "cparam01",
    "cparam02",
    "regescrt",
    "sdp01",
    "inv2543",
  ]);
  assert.equal(ALL.filter((n) => !handled.has(n)), []);
  assert.is(new Set(ALL).size, 49);
  // Section 3.1.1 is exactly the messages parsed whole above; every refusal is of a message the
  // RFC does not call valid.
  const valid = RFC4475_MESSAGES.filter((m) => m.section.startsWith("3.1.1."));
  assert.equal(valid.map((m) => m.name).sort(), Object.keys(VALID).sort());
  assert.ok(valid.every((m) => m.valid));
  for (const name of [...Object.keys(REFUSED), "baddate", "regbadct"]) {
    assert.not.ok(RFC4475_MESSAGES.find((m) => m.name === name)!.valid, name);
  }
  // The valid ones announce their body exactly: the bodies match the RFC's Content-Length values.
  for (const name of Object.keys(VALID)) {
    const m = parseSipMessage(load(name));
    const announced = m.headers.get("content-length");
    if (announced !== undefined) assert.is(m.body.length, Number(announced), name);
  }
});

function outcome(bytes: Uint8Array): string {
  try {
    return new TextDecoder().decode(serializeSipMessage(parseSipMessage(bytes)));
  } catch (error) {
    if (error instanceof SipParseError) return `refused ${error.reason} ${error.place}`;
    throw error;
  }
}

test("parsing one RFC 4475 message never affects another: any order, one reused buffer", () => {
  const alone = new Map(ALL.map((n) => [n, outcome(load(n))]));
  const shared = new Uint8Array(8192);
  const kept: [string, SipMessage][] = [];
  for (const name of [...ALL].reverse().concat(ALL)) {
    const bytes = load(name);
    shared.fill(0x41);
    shared.set(bytes);
    const view = shared.subarray(0, bytes.length);
    assert.is(outcome(view), alone.get(name), name);
    try {
      kept.push([name, parseSipMessage(view)]);
    } catch { /* refused: compared above */ }
  }
  // Messages kept from the shared buffer were not changed by what was read into it later.
  for (const [name, message] of kept) {
    assert.is(new TextDecoder().decode(serializeSipMessage(message)), alone.get(name), name);
  }
});

test("SipStreamFramer cuts RFC 4475 dblreq into its two requests and skips the leftover CRLF", () => {
  // On a stream both requests count. The INVITE's SDP (192.0.2.15 twice: 152 octets) is 2 octets
  // longer than its Content-Length of 150, so what follows it is the SDP's last CRLF, which the
  // framer skips as a CRLF between messages.
  const out: SipMessage[] = [];
  const framer = new SipStreamFramer();
  let pings = 0;
  framer.feed(load("dblreq"), (bytes) => out.push(parseSipMessage(bytes)), () => pings++);
  assert.equal(out.map((m) => m.method), ["REGISTER", "INVITE"]);
  assert.is(out[1]!.body.length, 150);
  assert.is(pings, 0); // neither the extra CRLF between them nor the leftover one is a ping
  assert.is(framer.buffered, 0);
});

test.run();
