// Realistic sample messages of every type, built from fixed keys so that their bytes are stable:
// the overlay test vectors, the fuzz corpus and the codec benchmark all use them.
import { createHash } from "node:crypto";
import { MessageCode } from "../../src/codec/overlay/constants.ts";
import type { MessageBody } from "../../src/codec/overlay/message_body.ts";
import type { PeerInfo } from "../../src/codec/overlay/messages/peer.ts";
import {
  encodeStoredDataToBeSigned,
  type StoredData,
  type StoredValue,
} from "../../src/codec/overlay/messages/stored_data.ts";
import type { NodeKey } from "../../src/identity/node_key.ts";
import { SignatureDomain, signInDomain } from "../../src/identity/signatures.ts";
import { nodeKeyFromSeed, RFC8032_TEST1_SEED, RFC8032_TEST2_SEED } from "./fixed_keys.ts";

/** The RFC 8032 TEST 1 key: the sender of every sample message. */
export const SAMPLE_SENDER: NodeKey = nodeKeyFromSeed(RFC8032_TEST1_SEED);
/** The RFC 8032 TEST 2 key: the other peer. */
export const SAMPLE_PEER: NodeKey = nodeKeyFromSeed(RFC8032_TEST2_SEED);
/** RFC 8032 section 7.1 TEST 3 secret key: the operator that enrolls the sample sender. */
export const SAMPLE_OPERATOR: NodeKey = nodeKeyFromSeed(
  "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
);
/** Shared secret of the sample overlay in shared-secret mode. */
export const SAMPLE_SHARED_SECRET = new Uint8Array(
  createHash("sha256").update("superpeer sample shared secret").digest(),
);
/** 2026-11-25T12:00:00Z: sent-at and storage time of the samples. */
export const SAMPLE_TIME = 1_795_003_200;
/** SIP-REGISTRATION (RFC 7904), IANA RELOAD Data Kind-ID 1. */
export const SIP_REGISTRATION_KIND = 1;

const h16 = (label: string) =>
  new Uint8Array(createHash("sha256").update(label).digest().subarray(0, 16));
const ipv4 = (a: number, b: number, c: number, d: number) => new Uint8Array([a, b, c, d]);

/** A peer with one mesh address, for neighbour lists. */
function peer(n: number): PeerInfo {
  return {
    nodeId: h16(`peer-${n}`),
    addresses: [{ ip: ipv4(10, 42, n >> 8, n & 0xff), port: 6084 }],
  };
}

/** The resource id of an address of record (RFC 7904: SHA-256 of the AOR URI, first 128 bits). */
export const SAMPLE_AOR = "sip:alice@mesh.example.org";
export const SAMPLE_RESOURCE = h16(SAMPLE_AOR);

function signedValue(value: StoredValue, lifetime: number): StoredData {
  const toBeSigned = encodeStoredDataToBeSigned(
    SAMPLE_RESOURCE,
    SIP_REGISTRATION_KIND,
    SAMPLE_TIME,
    value,
  );
  return {
    storageTime: SAMPLE_TIME,
    lifetime,
    value,
    signature: {
      signerKey: SAMPLE_SENDER.publicKeyRaw,
      sig: signInDomain(SAMPLE_SENDER.privateKey, SignatureDomain.StoredData, toBeSigned),
    },
  };
}

/** A SIP registration entry: dictionary keyed by the serving peer's node id (RFC 7904 section 3). */
const REGISTRATION = signedValue({
  model: "dictionary",
  key: SAMPLE_SENDER.nodeId,
  exists: true,
  data: new TextEncoder().encode("<sip:alice@10.42.0.17:5060;transport=udp>;expires=3600"),
}, 3600);

/** One named sample of each message type (and a few variants), in message-code order. */
export function sampleBodies(): Array<{ name: string; body: MessageBody }> {
  const registrations = Array.from(
    { length: 12 },
    (_, i) =>
      signedValue({
        model: "dictionary",
        key: h16(`serving-peer-${i}`),
        exists: true,
        data: new Uint8Array(96).fill(0x61 + i),
      }, 3600),
  );
  return [
    {
      name: "store_req",
      body: {
        code: MessageCode.StoreReq,
        resourceId: SAMPLE_RESOURCE,
        replicaNumber: 0,
        kindData: [{ kind: SIP_REGISTRATION_KIND, generation: 7, values: [REGISTRATION] }],
      },
    },
    {
      name: "store_ans",
      body: {
        code: MessageCode.StoreAns,
        kindResponses: [{
          kind: SIP_REGISTRATION_KIND,
          generation: 8,
          replicas: [peer(2).nodeId, peer(3).nodeId],
        }],
      },
    },
    {
      name: "fetch_req",
      body: {
        code: MessageCode.FetchReq,
        resourceId: SAMPLE_RESOURCE,
        specifiers: [{
          kind: SIP_REGISTRATION_KIND,
          generation: 0,
          selector: { model: "dictionary", keys: [] },
        }],
      },
    },
    {
      name: "fetch_ans",
      body: {
        code: MessageCode.FetchAns,
        kindData: [{ kind: SIP_REGISTRATION_KIND, generation: 8, values: [REGISTRATION] }],
      },
    },
    {
      name: "fetch_ans_large",
      body: {
        code: MessageCode.FetchAns,
        kindData: [{ kind: SIP_REGISTRATION_KIND, generation: 20, values: registrations }],
      },
    },
    {
      name: "find_req",
      body: { code: MessageCode.FindReq, resourceId: SAMPLE_RESOURCE, kinds: [2] },
    },
    {
      name: "find_ans",
      body: { code: MessageCode.FindAns, results: [{ kind: 2, closest: h16("turn-relay-3") }] },
    },
    {
      name: "join_req",
      body: {
        code: MessageCode.JoinReq,
        joiningPeerId: SAMPLE_SENDER.nodeId,
        overlayData: new Uint8Array(0),
      },
    },
    { name: "join_ans", body: { code: MessageCode.JoinAns, overlayData: new Uint8Array(0) } },
    {
      name: "leave_req",
      body: {
        code: MessageCode.LeaveReq,
        leavingPeerId: SAMPLE_SENDER.nodeId,
        leaveType: 1,
        neighbors: [peer(1), peer(2), peer(3)],
      },
    },
    { name: "leave_ans", body: { code: MessageCode.LeaveAns } },
    {
      name: "update_req",
      body: {
        code: MessageCode.UpdateReq,
        uptime: 86_400,
        updateType: 3,
        predecessors: [peer(1), peer(2), peer(3)],
        successors: [peer(4), peer(5), peer(6)],
        fingers: Array.from({ length: 16 }, (_, i) => peer(100 + i)),
      },
    },
    { name: "update_ans", body: { code: MessageCode.UpdateAns } },
    {
      name: "route_query_req",
      body: {
        code: MessageCode.RouteQueryReq,
        sendUpdate: false,
        destination: { type: "resource", id: SAMPLE_RESOURCE },
        overlayData: new Uint8Array(0),
      },
    },
    { name: "route_query_ans", body: { code: MessageCode.RouteQueryAns, nextPeer: peer(7) } },
    { name: "ping_req", body: { code: MessageCode.PingReq, padding: new Uint8Array(0) } },
    {
      name: "ping_ans",
      body: { code: MessageCode.PingAns, responseId: 0x5eed1234, time: SAMPLE_TIME },
    },
    {
      name: "stat_req",
      body: {
        code: MessageCode.StatReq,
        resourceId: SAMPLE_RESOURCE,
        specifiers: [{
          kind: SIP_REGISTRATION_KIND,
          generation: 0,
          selector: { model: "dictionary", keys: [SAMPLE_SENDER.nodeId] },
        }],
      },
    },
    {
      name: "stat_ans",
      body: {
        code: MessageCode.StatAns,
        kindResponses: [{
          kind: SIP_REGISTRATION_KIND,
          generation: 8,
          values: [{
            storageTime: SAMPLE_TIME,
            lifetime: 3600,
            meta: {
              model: "dictionary",
              key: SAMPLE_SENDER.nodeId,
              exists: true,
              length: 55,
              hash: new Uint8Array(createHash("sha256").update("registration").digest()),
            },
          }],
        }],
      },
    },
    {
      name: "app_attach_req",
      body: {
        code: MessageCode.AppAttachReq,
        ufrag: "f3Ae",
        password: "tQ9vK2mZ7pW4xR8sL1nB6cYd",
        application: 5060,
        role: 2,
        candidates: [
          {
            address: { ip: ipv4(10, 42, 0, 17), port: 5060 },
            transport: 1,
            foundation: "1",
            priority: 2130706431,
            type: 1,
            relatedAddress: null,
          },
          {
            address: { ip: ipv4(10, 42, 0, 17), port: 5060 },
            transport: 2,
            foundation: "2",
            priority: 2130706175,
            type: 1,
            relatedAddress: null,
          },
        ],
      },
    },
    {
      name: "app_attach_ans",
      body: {
        code: MessageCode.AppAttachAns,
        ufrag: "Hk2b",
        password: "Zx81Qp3Lm5Vn7Rt9Sw2Ye4Ua",
        application: 5060,
        role: 1,
        candidates: [
          {
            address: { ip: ipv4(10, 42, 0, 23), port: 5060 },
            transport: 1,
            foundation: "1",
            priority: 2130706431,
            type: 1,
            relatedAddress: null,
          },
        ],
      },
    },
    {
      name: "config_update_req",
      body: {
        code: MessageCode.ConfigUpdateReq,
        type: 1,
        sequence: 3,
        configDocument: new TextEncoder().encode('{"overlay":"superpeer","admission":"operator"}'),
      },
    },
    { name: "config_update_ans", body: { code: MessageCode.ConfigUpdateAns } },
    {
      name: "error",
      body: {
        code: MessageCode.Error,
        errorCode: 3,
        reasonPhrase: "Not found",
        errorInfo: new Uint8Array(0),
      },
    },
  ];
}
