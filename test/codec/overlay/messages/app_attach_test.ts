import { test } from "uvu";
import { MessageCode } from "../../../../src/codec/overlay/constants.ts";
import {
  type AppAttachReq,
  Application,
  AttachRole,
  CandidateTransport,
  CandidateType,
  type IceCandidate,
  MAX_CANDIDATES,
} from "../../../../src/codec/overlay/messages/app_attach.ts";
import {
  assertDecodeFails,
  assertEncodeFails,
  assertWire,
  id,
  ipv4,
  roundTrip,
  times,
} from "./message_test_helpers.ts";

const host: IceCandidate = {
  address: { ip: ipv4(10, 0, 0, 1), port: 5060 },
  transport: CandidateTransport.Udp,
  foundation: "1",
  priority: 2130706431,
  type: CandidateType.Host,
  relatedAddress: null,
};
const srflx: IceCandidate = {
  address: { ip: id(0x20), port: 40000 },
  transport: CandidateTransport.Tls,
  foundation: "a+/9",
  priority: 1694498815,
  type: CandidateType.ServerReflexive,
  relatedAddress: { ip: id(0xfe), port: 5061 },
};
const req: AppAttachReq = {
  code: MessageCode.AppAttachReq,
  ufrag: "8hhY",
  password: "asd88fgpdd777uzjYhagZg",
  application: Application.Sip,
  role: AttachRole.Active,
  candidates: [host, srflx, {
    ...srflx,
    type: CandidateType.Relay,
    transport: CandidateTransport.Wss,
  }],
};

test("appAttachReqCodec round-trips requests and answers with host and reflexive candidates", () => {
  roundTrip(req);
  roundTrip({
    ...req,
    code: MessageCode.AppAttachAns,
    role: AttachRole.Passive,
    application: Application.Sips,
  });
  roundTrip({ ...req, ufrag: "ü".repeat(128), candidates: times(MAX_CANDIDATES, host) });
});

test("appAttachAnsCodec writes an answer without candidates byte for byte", () => {
  // 86, 18 1e (30), 61 75 ("u"), 61 70 ("p"), 19 13 c4 (5060), 01, 80
  assertWire(
    {
      code: MessageCode.AppAttachAns,
      ufrag: "u",
      password: "p",
      application: 5060,
      role: AttachRole.Passive,
      candidates: [],
    },
    "86181e617561701913c40180",
  );
});

test("appAttachReqCodec writes a host candidate byte for byte", () => {
  // [29, "u", "p", 5060, 2, [[[h'0a000001', 5060], 1, "1", 2130706431, 1, null]]]
  // candidate: 86, 82 44 0a000001 19 13c4, 01, 61 31, 1a 7effffff, 01, f6
  assertWire(
    {
      code: MessageCode.AppAttachReq,
      ufrag: "u",
      password: "p",
      application: 5060,
      role: AttachRole.Active,
      candidates: [host],
    },
    "86181d 6175 6170 1913c4 02 81 86 82440a0000011913c4 01 6131 1a7effffff 01 f6".replace(
      /\s/g,
      "",
    ),
  );
});

test("appAttachReqCodec decode refuses bad fields at their place", () => {
  const c = [[ipv4(10, 0, 0, 1), 5060], 1, "1", 1, 1, null];
  const at = "AppAttachReq.candidates[0]";
  assertDecodeFails([29, "u", "p", 5060, 1], "AppAttachReq");
  assertDecodeFails([29, "", "p", 5060, 1, []], "AppAttachReq.ufrag");
  assertDecodeFails([29, "u".repeat(257), "p", 5060, 1, []], "AppAttachReq.ufrag");
  assertDecodeFails([29, "u", new Uint8Array(1), 5060, 1, []], "AppAttachReq.password");
  assertDecodeFails([29, "u", "p", 65536, 1, []], "AppAttachReq.application");
  assertDecodeFails([29, "u", "p", 5060, 3, []], "AppAttachReq.role");
  assertDecodeFails([29, "u", "p", 5060, 1, times(17, c)], "AppAttachReq.candidates");
  assertDecodeFails([29, "u", "p", 5060, 1, [[...c.slice(0, 5)]]], at);
  assertDecodeFails([29, "u", "p", 5060, 1, [[c[0]!, 6, "1", 1, 1, null]]], `${at}.transport`);
  assertDecodeFails([29, "u", "p", 5060, 1, [[c[0]!, 1, "", 1, 1, null]]], `${at}.foundation`);
  assertDecodeFails(
    [29, "u", "p", 5060, 1, [[c[0]!, 1, "x".repeat(33), 1, 1, null]]],
    `${at}.foundation`,
  );
  assertDecodeFails([29, "u", "p", 5060, 1, [[c[0]!, 1, "1", 1, 5, null]]], `${at}.type`);
  assertDecodeFails(
    [29, "u", "p", 5060, 1, [[c[0]!, 1, "1", 1, 1, c[0]!]]],
    `${at}.relatedAddress`,
  );
  assertDecodeFails([29, "u", "p", 5060, 1, [[c[0]!, 1, "1", 1, 2, null]]], `${at}.relatedAddress`);
  assertDecodeFails(
    [29, "u", "p", 5060, 1, [[[id(1, 15), 1], 1, "1", 1, 1, null]]],
    `${at}.address[0]`,
  );
  assertDecodeFails([30, "u", "p", 5060, 1, [c], 0], "AppAttachAns");
});

test("appAttachReqCodec encode refuses bad fields naming their place", () => {
  const at = "AppAttachReq.candidates[1]";
  assertEncodeFails({ ...req, ufrag: "" }, "AppAttachReq.ufrag");
  assertEncodeFails({ ...req, password: "ü".repeat(129) }, "AppAttachReq.password");
  assertEncodeFails({ ...req, password: "\ud800" }, "AppAttachReq.password");
  assertEncodeFails({ ...req, application: 70000 }, "AppAttachReq.application");
  assertEncodeFails({ ...req, role: 0 }, "AppAttachReq.role");
  assertEncodeFails({ ...req, candidates: times(17, host) }, "AppAttachReq.candidates");
  assertEncodeFails(
    { ...req, candidates: [host, { ...srflx, relatedAddress: null }] },
    `${at}.relatedAddress`,
  );
  assertEncodeFails(
    { ...req, candidates: [host, { ...host, relatedAddress: host.address }] },
    `${at}.relatedAddress`,
  );
  assertEncodeFails({ ...req, candidates: [host, { ...host, transport: 9 }] }, `${at}.transport`);
  assertEncodeFails(
    { ...req, candidates: [host, { ...host, foundation: "x".repeat(33) }] },
    `${at}.foundation`,
  );
  assertEncodeFails(
    { ...req, candidates: [host, { ...host, priority: 2 ** 32 }] },
    `${at}.priority`,
  );
  assertEncodeFails({
    ...req,
    candidates: [host, { ...srflx, relatedAddress: { ip: ipv4(1, 2, 3, 4), port: -1 } }],
  }, `${at}.relatedAddress.port`);
  assertEncodeFails({ ...req, code: MessageCode.AppAttachAns, ufrag: 7 }, "AppAttachAns.ufrag");
});

test.run();
