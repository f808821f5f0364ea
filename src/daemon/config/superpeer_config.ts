import type { ConfigIssue } from "../../core/errors.ts";
import type { LogLevel } from "../../core/logger.ts";
import type { AdmissionMode } from "../../identity/admission.ts";
import {
  DEFAULT_MAX_ALLOCATION_BYTES_PER_SECOND,
  DEFAULT_MAX_ALLOCATIONS,
  DEFAULT_MAX_ALLOCATIONS_PER_CLIENT_IP,
  DEFAULT_MAX_ALLOCATIONS_PER_USER,
  DEFAULT_MAX_CHANNELS_PER_ALLOCATION,
  DEFAULT_MAX_PERMISSIONS_PER_ALLOCATION,
  DEFAULT_MAX_RELAY_PORT,
  DEFAULT_MAX_STREAM_CLIENTS,
  DEFAULT_MAX_STREAM_CLIENTS_PER_IP,
  DEFAULT_MAX_TOTAL_BYTES_PER_SECOND,
  DEFAULT_MIN_RELAY_PORT,
  DEFAULT_RELAY_TLS_PORT,
  DEFAULT_STREAM_BACKLOG_BYTES,
  DEFAULT_STREAM_IDLE_S,
} from "../../relay/constants.ts";
import { PeerPolicy } from "../../relay/peer_policy.ts";
import { DEFAULT_REALM } from "../../sip/digest/constants.ts";
import type { DigestAlgorithm } from "../../sip/digest/digest_algorithms.ts";
import {
  DEFAULT_EXPIRES_S,
  DEFAULT_MAX_BINDINGS,
  DEFAULT_MAX_BINDINGS_PER_AOR,
  DEFAULT_MAX_EXPIRES_S,
  DEFAULT_MIN_EXPIRES_S,
} from "../../sip/registrar/constants.ts";
import { DEFAULT_MAX_SERVER_TRANSACTIONS } from "../../sip/transaction/constants.ts";
import { cidrProblem } from "../../sip/peering/cidr_set.ts";
import {
  DEFAULT_MAX_UNAUTHENTICATED_INVITES,
  DEFAULT_PEERING_BURST,
  DEFAULT_PEERING_MAX_SOURCES,
  DEFAULT_PEERING_REQUESTS_PER_SECOND,
} from "../../sip/peering/constants.ts";
import { OutboundRouteError, parseNextHop, parseRoute } from "../../sip/peering/outbound_router.ts";
import type { Section } from "./schema.ts";

export type LogFormat = "logfmt" | "json";

/** The daemon's whole configuration after defaults, target profile, file and `--set` are merged. */
export interface SuperpeerConfig {
  readonly target: string;
  readonly dataDir: string;
  readonly shutdownTimeoutMs: number;
  readonly identity: {
    readonly keyFile: string;
  };
  readonly log: {
    readonly level: LogLevel;
    readonly format: LogFormat;
    readonly repeatWindowSeconds: number;
  };
  readonly ops: {
    readonly enabled: boolean;
    readonly host: string;
    readonly port: number;
    readonly maxConnections: number;
  };
  readonly limits: {
    readonly heapMb: number;
    readonly memoryMb: number;
    readonly openFiles: number;
  };
  readonly overlay: {
    readonly enabled: boolean;
    readonly host: string;
    readonly port: number;
    readonly bootstrap: readonly string[];
    readonly advertise: readonly string[];
    readonly stabilizeMaxMs: number;
    readonly peerTimeoutMs: number;
    readonly name: string;
    readonly admission: AdmissionMode;
    readonly operatorPublicKey: string;
    readonly certificateFile: string;
    readonly sharedSecretFile: string;
    readonly replayWindowSeconds: number;
  };
  readonly relay: {
    readonly enabled: boolean;
    readonly host: string;
    readonly port: number;
    readonly relayHost: string;
    readonly relayHost6: string;
    readonly portMin: number;
    readonly portMax: number;
    readonly realm: string;
    readonly users: readonly string[];
    readonly authSecrets: readonly string[];
    readonly maxAllocations: number;
    readonly maxAllocationsPerUser: number;
    readonly maxAllocationsPerClientIp: number;
    readonly maxPermissionsPerAllocation: number;
    readonly maxChannelsPerAllocation: number;
    readonly allocationBytesPerSecond: number;
    readonly totalBytesPerSecond: number;
    readonly allowPeers: readonly string[];
    readonly denyPeers: readonly string[];
    readonly allowLoopbackPeers: boolean;
    readonly allowRfc5766Channels: boolean;
    readonly advertise: boolean;
    readonly tcp: boolean;
    readonly tlsPort: number;
    readonly tlsCertFile: string;
    readonly tlsKeyFile: string;
    readonly maxStreamClients: number;
    readonly maxStreamClientsPerIp: number;
    readonly streamIdleSeconds: number;
    readonly streamBacklogBytes: number;
  };
  readonly sip: {
    readonly enabled: boolean;
    readonly host: string;
    readonly port: number;
    readonly advertiseHost: string;
    readonly tcp: boolean;
    readonly tlsPort: number;
    readonly tlsCertFile: string;
    readonly tlsKeyFile: string;
    readonly wsPort: number;
    readonly wssPort: number;
    readonly domains: readonly string[];
    readonly auth: "digest" | "none";
    readonly realm: string;
    readonly digestAlgorithms: readonly DigestAlgorithm[];
    readonly digestCheckUri: boolean;
    readonly usersFile: string;
    readonly minExpiresSeconds: number;
    readonly maxExpiresSeconds: number;
    readonly defaultExpiresSeconds: number;
    readonly maxBindings: number;
    readonly maxBindingsPerAor: number;
    readonly maxTransactions: number;
    readonly maxStreamClients: number;
    readonly maxStreamClientsPerIp: number;
    readonly overlayRefreshSeconds: number;
    readonly turnCredentialSeconds: number;
    readonly proxyAuth: boolean;
    readonly peers: readonly string[];
    readonly peeringSources: readonly string[];
    readonly peeringDomains: readonly string[];
    readonly peeringRequestsPerSecond: number;
    readonly peeringBurst: number;
    readonly peeringMaxSources: number;
    readonly maxUnauthenticatedInvites: number;
    readonly routes: readonly string[];
    readonly defaultRoute: string;
    readonly dns: boolean;
  };
  readonly mdns: {
    readonly enabled: boolean;
    readonly interfaces: readonly string[];
    readonly denyInterfaces: readonly string[];
    readonly ipv4: boolean;
    readonly ipv6: boolean;
    readonly hostName: string;
    readonly instanceName: string;
    readonly advertise: readonly MdnsAdvertised[];
    readonly bootstrap: boolean;
    readonly maxCacheRecords: number;
    readonly maxDiscoveredPeers: number;
    readonly interfacePollSeconds: number;
  };
}

/** Services superpeer can advertise by DNS-SD (README "Zero configuration (mDNS)"). */
export const MDNS_ADVERTISED = [
  "overlay",
  "sip-udp",
  "sip-tcp",
  "sips-tcp",
  "stun-udp",
  "turn-udp",
  "turn-tcp",
] as const;
export type MdnsAdvertised = (typeof MDNS_ADVERTISED)[number];

/** Default UDP and TCP port of SIP (RFC 3261 section 19.1.2). */
export const DEFAULT_SIP_PORT = 5060;

/** Default TLS port of SIP (RFC 3261 section 19.1.2: sips). */
export const DEFAULT_SIP_TLS_PORT = 5061;

/** Default port of SIP over WebSocket (RFC 7118 registers none; FreeSWITCH's convention). */
export const DEFAULT_SIP_WS_PORT = 5066;

/** Default port of SIP over secure WebSocket (FreeSWITCH's convention). */
export const DEFAULT_SIP_WSS_PORT = 7443;

// A DNS domain name (the SIP domains served): labels of letters, digits and hyphens.
const DOMAIN_NAME =
  /^(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** Default UDP port of the TURN relay (RFC 8656 section 4: STUN and TURN over UDP use 3478). */
export const DEFAULT_RELAY_PORT = 3478;

/** Default UDP port of the overlay: the port IANA registered for RELOAD (reload-config/p2p-sip). */
export const DEFAULT_OVERLAY_PORT = 6084;

// "host:port" with an IPv4 literal, or "[v6]:port".
const HOST_PORT = /^(?:(?:\d{1,3}\.){3}\d{1,3}|\[[0-9A-Fa-f:.]+\]):\d{1,5}$/;

/** Default TCP port of the ops HTTP endpoint (/healthz, /status, /metrics). */
export const DEFAULT_OPS_PORT = 8470;

// Literal IPv4 or IPv6 address (no host names: nothing here resolves DNS at start-up).
const IP_LITERAL =
  /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)$/;

// Literal IP address or empty (relay.relayHost: empty means the same as relay.host).
const IP_LITERAL_OR_EMPTY = new RegExp(`^(?:${IP_LITERAL.source.slice(1, -1)})?$`);

// A static TURN user: name, a colon, the 32 hex digits of MD5(name:realm:password) or the 64 of
// SHA-256(name:realm:password) (RFC 8489 section 9.2.2), with or without the `0x` coturn's
// `turnadmin -k` prints before them.
// deno-lint-ignore no-control-regex -- the control characters are what the pattern excludes
const TURN_USER = /^[^\u0000-\u001f\u007f]{1,127}:(?:0x)?(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{64})$/;

// An IPv4 or IPv6 block in CIDR notation (the prefix may be left out for one address); the peer
// policy parses it again at start-up and crossFieldIssues reports what it rejects.
const CIDR = /^[0-9A-Fa-f:.]+(?:\/\d{1,3})?$/;

// Overlay names are hashed into the overlay id after a 0x00 separator: no control characters.
// deno-lint-ignore no-control-regex -- the control characters are what the pattern excludes
const OVERLAY_NAME = /^[^\u0000-\u001f\u007f]+$/;

// A raw 32-byte Ed25519 key in base64url without padding (identity/node_key.ts formatPublicKey),
// or empty.
const PUBLIC_KEY_OR_EMPTY = /^(?:[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048])?$/;

// A Linux network interface name (IFNAMSIZ 16 with the NUL), or "*" for every one.
const INTERFACE_NAME = /^[^\s/:*]{1,15}$/;
const INTERFACE_NAME_OR_ANY = /^(?:\*|[^\s/:*]{1,15})$/;

// One DNS host label (RFC 952/1123 letters, digits, hyphens), or empty.
const HOST_LABEL_OR_EMPTY = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)?$/;

// A DNS-SD instance name: UTF-8 without control characters (RFC 6763 4.1.1), or empty.
// deno-lint-ignore no-control-regex -- the control characters are what the pattern excludes
const INSTANCE_NAME_OR_EMPTY = /^[^\u0000-\u001f\u007f]*$/;

/** Names of the target profiles shipped in targets/ plus the built-in workstation profile. */
export const TARGET_NAMES = [
  "dev",
  "rpi4",
  "rpi-zero2w",
  "x86_64-minipc",
  "openwrt-aarch64",
  "openwrt-x86_64",
] as const;

/** Every configuration key: type, range, meaning and whether SIGHUP can change it. */
export const CONFIG_SCHEMA: Section = {
  kind: "section",
  doc: "superpeer configuration",
  fields: {
    target: {
      kind: "string",
      enum: TARGET_NAMES,
      doc:
        "Hardware profile from targets/ whose defaults (heap, limits, data directory) apply under this file.",
    },
    dataDir: {
      kind: "string",
      maxLength: 4096,
      pattern: /^.+$/,
      patternHint: "a non-empty directory path",
      doc: "Directory for the node key and cached state; created (mode 0700) on first start.",
    },
    shutdownTimeoutMs: {
      kind: "integer",
      min: 100,
      max: 60_000,
      unit: "ms",
      live: true,
      doc: "Time all services get to stop on SIGINT/SIGTERM before the process exits anyway.",
    },
    identity: {
      kind: "section",
      doc: "Node identity",
      fields: {
        keyFile: {
          kind: "string",
          maxLength: 4096,
          doc:
            "Ed25519 node key (PKCS#8 PEM); empty means `<dataDir>/node_key.pem`, created with mode 0600.",
        },
      },
    },
    log: {
      kind: "section",
      doc: "Logging to stderr",
      fields: {
        level: {
          kind: "string",
          enum: ["error", "warn", "info", "debug"],
          live: true,
          doc: "Least severe level written.",
        },
        format: {
          kind: "string",
          enum: ["logfmt", "json"],
          live: true,
          doc:
            "`logfmt` (one `key=value` line per event, for logd/journald) or `json` (JSON lines).",
        },
        repeatWindowSeconds: {
          kind: "integer",
          min: 0,
          max: 3600,
          unit: "s",
          live: true,
          doc:
            "Identical warnings/errors within this window are written once, then as `suppressed=N`; 0 writes all.",
        },
      },
    },
    ops: {
      kind: "section",
      doc: "Ops HTTP endpoint",
      fields: {
        enabled: { kind: "boolean", doc: "Serve /healthz, /status and /metrics." },
        host: {
          kind: "string",
          pattern: IP_LITERAL,
          patternHint: "an IPv4 or IPv6 address literal",
          doc: "Address the ops endpoint binds; keep it on loopback unless a firewall guards it.",
        },
        port: {
          kind: "integer",
          min: 0,
          max: 65535,
          doc: "TCP port of the ops endpoint; 0 picks a free port.",
        },
        maxConnections: {
          kind: "integer",
          min: 1,
          max: 1024,
          live: true,
          doc: "Concurrent ops connections; more are refused.",
        },
      },
    },
    limits: {
      kind: "section",
      doc: "Global memory and resource budget (the target profile sets these)",
      fields: {
        heapMb: {
          kind: "integer",
          min: 16,
          max: 16384,
          unit: "MiB",
          doc:
            "V8 heap budget; launchers pass it as --max-old-space-size and /status compares it with the real limit.",
        },
        memoryMb: {
          kind: "integer",
          min: 32,
          max: 65536,
          unit: "MiB",
          live: true,
          doc:
            "Resident-memory budget of the whole process; /status and /metrics report use against it, a warning is logged above it.",
        },
        openFiles: {
          kind: "integer",
          min: 64,
          max: 1_048_576,
          doc:
            "Open files (sockets) the daemon expects to need; a lower `nofile` limit is warned about at start.",
        },
      },
    },
    overlay: {
      kind: "section",
      doc: "The P2PSIP overlay this node joins, and who may join it",
      fields: {
        enabled: { kind: "boolean", doc: "Run the overlay peer (UDP)." },
        host: {
          kind: "string",
          pattern: IP_LITERAL,
          patternHint: "an IPv4 or IPv6 address literal",
          doc:
            "Address the overlay's UDP socket binds; `0.0.0.0` or `::` for every interface of an access point.",
        },
        port: {
          kind: "integer",
          min: 0,
          max: 65535,
          doc: "UDP port of the overlay (RELOAD's registered port is 6084); 0 picks a free one.",
        },
        bootstrap: {
          kind: "stringList",
          maxItems: 16,
          pattern: HOST_PORT,
          patternHint: "an address and port, `192.0.2.1:6084` or `[2001:db8::1]:6084`",
          doc:
            "Peers to join through, tried in order after the cached peers of the last run; empty starts a new ring.",
        },
        advertise: {
          kind: "stringList",
          maxItems: 4,
          pattern: HOST_PORT,
          patternHint: "an address and port, `192.0.2.1:6084` or `[2001:db8::1]:6084`",
          doc:
            "Where other peers reach this one; empty means the bound address (set it when binding `0.0.0.0`).",
        },
        stabilizeMaxMs: {
          kind: "integer",
          min: 1000,
          max: 600_000,
          unit: "ms",
          doc:
            "Longest interval between stabilisation rounds (neighbour Updates); it shrinks to a tenth while the neighbourhood changes.",
        },
        peerTimeoutMs: {
          kind: "integer",
          min: 1000,
          max: 600_000,
          unit: "ms",
          doc:
            "The nearest successor or predecessor silent this long is dropped (other neighbours are dropped when an Update goes unanswered for 5 s); a dropped peer is not re-added from others' lists for twice this.",
        },
        name: {
          kind: "string",
          maxLength: 64,
          pattern: OVERLAY_NAME,
          patternHint: "1 to 64 characters, no control characters",
          doc:
            "Overlay name; its hash is the overlay id every message and enrollment certificate carries, so all nodes of one overlay use the same name.",
        },
        admission: {
          kind: "string",
          enum: ["open", "shared-secret", "operator"] satisfies AdmissionMode[],
          doc:
            "Who may join: `operator` (certificates from `superpeer enroll`), `shared-secret` (nodes hold `sharedSecretFile`) or `open` (anyone: test meshes only, Sybil attacks).",
        },
        operatorPublicKey: {
          kind: "string",
          pattern: PUBLIC_KEY_OR_EMPTY,
          patternHint: "base64url of a 32-byte Ed25519 public key (43 characters) or empty",
          doc:
            "The operator's public key (`superpeer keygen` prints it); required when `admission` is `operator`.",
        },
        certificateFile: {
          kind: "string",
          maxLength: 4096,
          doc:
            "This node's enrollment certificate for `operator` admission; empty means `<dataDir>/enrollment.cert`.",
        },
        sharedSecretFile: {
          kind: "string",
          maxLength: 4096,
          doc:
            "The overlay secret for `shared-secret` admission (`superpeer keygen --secret`); empty means `<dataDir>/overlay.secret`.",
        },
        replayWindowSeconds: {
          kind: "integer",
          min: 10,
          max: 3600,
          unit: "s",
          live: true,
          doc:
            "Messages sent longer ago (or further ahead) than this are refused as replays; node clocks must agree within it.",
        },
      },
    },
    relay: {
      kind: "section",
      doc: "The TURN relay (RFC 8656 over UDP) and STUN Binding server",
      fields: {
        enabled: {
          kind: "boolean",
          doc:
            "Run the TURN/STUN server; the default binds loopback only, so a bare start exposes no relay.",
        },
        host: {
          kind: "string",
          pattern: IP_LITERAL,
          patternHint: "an IPv4 or IPv6 address literal",
          doc:
            "Address the TURN listening UDP socket binds; `0.0.0.0` or `::` needs `relayHost` set.",
        },
        port: {
          kind: "integer",
          min: 0,
          max: 65535,
          doc:
            "UDP port of the TURN listener (3478 is STUN/TURN's registered port); 0 picks a free one.",
        },
        relayHost: {
          kind: "string",
          pattern: IP_LITERAL_OR_EMPTY,
          patternHint: "an IPv4 or IPv6 address literal, not a wildcard, or empty",
          doc:
            "Address relay sockets bind and XOR-RELAYED-ADDRESS advertises (its family is the one offered); empty means `host`.",
        },
        relayHost6: {
          kind: "string",
          pattern: IP_LITERAL_OR_EMPTY,
          patternHint: "an IPv6 address literal, not a wildcard, or empty",
          doc:
            "IPv6 address of relay sockets when `relayHost` is IPv4: clients asking REQUESTED-ADDRESS-FAMILY IPv6 get a relay here (RFC 8656 section 7.2); empty offers IPv4 only.",
        },
        portMin: {
          kind: "integer",
          min: 1024,
          max: 65535,
          doc:
            "First relay port (keep the range outside the kernel's ephemeral ports, 32768-60999 on Linux).",
        },
        portMax: {
          kind: "integer",
          min: 1024,
          max: 65535,
          doc: "Last relay port; each allocation holds one port (and one open file).",
        },
        realm: {
          kind: "string",
          maxLength: 127,
          pattern: OVERLAY_NAME,
          patternHint: "1 to 127 characters, no control characters",
          doc: "REALM of the long-term credentials; static user keys are made for one realm.",
        },
        users: {
          kind: "stringList",
          maxItems: 1024,
          pattern: TURN_USER,
          patternHint:
            "`name:key` with the 32-hex-digit MD5 or 64-hex-digit SHA-256 long-term key (`0x` allowed, as coturn `turnadmin -k` prints it)",
          doc:
            "Static TURN users as `name:MD5(name:realm:password)` or `name:SHA-256(name:realm:password)` in hex (the RFC 8489 long-term key, never the password); list a user twice to give both. SHA-256 is offered first when every user has a SHA-256 key.",
        },
        authSecrets: {
          kind: "stringList",
          maxItems: 8,
          pattern: /^.{1,256}$/,
          patternHint: "a non-empty secret of at most 256 characters",
          doc:
            "TURN REST API shared secrets (coturn `use-auth-secret`): username `<expiry>:<user>`, password base64(HMAC-SHA1(secret, username)); all are accepted.",
        },
        maxAllocations: {
          kind: "integer",
          min: 1,
          max: 100_000,
          doc: "Allocations on the whole relay; more are refused with 508.",
        },
        maxAllocationsPerUser: {
          kind: "integer",
          min: 1,
          max: 100_000,
          doc: "Allocations of one username; more are refused with 486.",
        },
        maxAllocationsPerClientIp: {
          kind: "integer",
          min: 1,
          max: 100_000,
          doc: "Allocations from one client IP address; more are refused with 486.",
        },
        maxPermissionsPerAllocation: {
          kind: "integer",
          min: 1,
          max: 4096,
          doc: "Peer IPs one allocation may hold permissions for; more are refused with 508.",
        },
        maxChannelsPerAllocation: {
          kind: "integer",
          min: 1,
          max: 4096,
          doc: "Channel bindings of one allocation; more are refused with 508.",
        },
        allocationBytesPerSecond: {
          kind: "integer",
          min: 0,
          max: 1_250_000_000,
          unit: "B/s",
          doc:
            "Relayed bytes per second of one allocation, both directions (a TURN-loop brake); 0 is unlimited.",
        },
        totalBytesPerSecond: {
          kind: "integer",
          min: 0,
          max: 12_500_000_000,
          unit: "B/s",
          doc: "Relayed bytes per second of the whole relay; 0 is unlimited.",
        },
        allowPeers: {
          kind: "stringList",
          maxItems: 64,
          pattern: CIDR,
          patternHint: "a CIDR block, `10.0.0.0/8` or `fd00::/8`",
          doc: "Peer blocks always allowed, even inside a denied block (an operator's mesh).",
        },
        denyPeers: {
          kind: "stringList",
          maxItems: 64,
          pattern: CIDR,
          patternHint: "a CIDR block, `10.0.0.0/8` or `fd00::/8`",
          doc:
            "Peer blocks denied besides the built-in list (this network, loopback, link-local, multicast, reserved, Teredo, 6to4).",
        },
        allowLoopbackPeers: {
          kind: "boolean",
          doc: "Relay to 127.0.0.0/8 and ::1 (local tests and interop only).",
        },
        allowRfc5766Channels: {
          kind: "boolean",
          doc:
            "Accept RFC 5766 channel numbers 0x4000-0x7FFF (Debian's coturn 4.6.1 test client) besides RFC 8656's 0x4000-0x4FFF.",
        },
        advertise: {
          kind: "boolean",
          doc:
            "Store this relay in the overlay as TURN-SERVICE (RFC 6940 section 9) so other peers find it; skipped while the relay listens on loopback and the overlay does not.",
        },
        tcp: {
          kind: "boolean",
          doc:
            "Also serve STUN and TURN over TCP on the UDP listener's port number (RFC 8656 section 3.1: clients behind UDP-blocking firewalls).",
        },
        tlsPort: {
          kind: "integer",
          min: 0,
          max: 65535,
          doc:
            "TCP port of TURN over TLS (5349 is its registered port), served when `tlsCertFile` and `tlsKeyFile` are set; 0 picks a free one.",
        },
        tlsCertFile: {
          kind: "string",
          maxLength: 4096,
          doc: "PEM certificate chain for TURN over TLS; empty means no TLS listener.",
        },
        tlsKeyFile: {
          kind: "string",
          maxLength: 4096,
          doc: "PEM private key of `tlsCertFile`; read at start-up.",
        },
        maxStreamClients: {
          kind: "integer",
          min: 1,
          max: 100_000,
          doc:
            "TCP connections (and again TLS connections) open at once; more are closed on arrival.",
        },
        maxStreamClientsPerIp: {
          kind: "integer",
          min: 1,
          max: 100_000,
          doc: "TCP or TLS connections from one IP address; more are closed on arrival.",
        },
        streamIdleSeconds: {
          kind: "integer",
          min: 1,
          max: 86_400,
          unit: "s",
          doc:
            "A TCP or TLS client without a live allocation that sends nothing for this long is disconnected.",
        },
        streamBacklogBytes: {
          kind: "integer",
          min: 1024,
          max: 16 * 1024 * 1024,
          unit: "B",
          doc:
            "Unsent bytes queued for one TCP or TLS client; relayed packets past it are dropped (worst case per client: this plus a 64 KiB frame buffer).",
        },
      },
    },
    mdns: {
      kind: "section",
      doc:
        "Multicast DNS (RFC 6762) and DNS-SD (RFC 6763): find other access points on the LAN and advertise our services",
      fields: {
        enabled: {
          kind: "boolean",
          doc:
            "Run the mDNS responder and browser on the interfaces in `interfaces` (with none listed nothing is sent).",
        },
        interfaces: {
          kind: "stringList",
          maxItems: 16,
          pattern: INTERFACE_NAME_OR_ANY,
          patternHint: "a network interface name (`br-lan`) or `*` for every multicast-capable one",
          doc:
            "LAN-side interfaces to multicast on, followed as they come and go; empty (the `dev` default) keeps mDNS silent, never the WAN unless listed.",
        },
        denyInterfaces: {
          kind: "stringList",
          maxItems: 16,
          pattern: INTERFACE_NAME,
          patternHint: "a network interface name",
          doc: "Interfaces never used, even when `interfaces` is `*` (the WAN port, say).",
        },
        ipv4: { kind: "boolean", doc: "Use 224.0.0.251 (IPv4)." },
        ipv6: { kind: "boolean", doc: "Use ff02::fb (IPv6 link-local)." },
        hostName: {
          kind: "string",
          maxLength: 63,
          pattern: HOST_LABEL_OR_EMPTY,
          patternHint: "one DNS label of letters, digits and hyphens, or empty",
          doc:
            "Our `<hostName>.local` name; empty means `superpeer-` and the first 8 hex digits of the node id. Renamed `-2`, `-3` on a conflict.",
        },
        instanceName: {
          kind: "string",
          maxLength: 63,
          pattern: INSTANCE_NAME_OR_EMPTY,
          patternHint: "UTF-8 text without control characters, at most 63 bytes",
          doc:
            "DNS-SD instance name of our services; empty means `superpeer <hostName>`. Renamed `Name (2)` on a conflict.",
        },
        advertise: {
          kind: "stringList",
          maxItems: MDNS_ADVERTISED.length,
          pattern: new RegExp(`^(?:${MDNS_ADVERTISED.join("|")})$`),
          patternHint: MDNS_ADVERTISED.join(", "),
          doc:
            "Services advertised: `overlay` (_p2psip._udp), `sip-udp` (_sip._udp), `sip-tcp` (_sip._tcp), `sips-tcp` (_sips._tcp), `stun-udp` (_stun._udp), `turn-udp` (_turn._udp), `turn-tcp` (_turn._tcp); each only while its service runs.",
        },
        bootstrap: {
          kind: "boolean",
          doc:
            "Use discovered peers of the same overlay name and configuration fingerprint as bootstrap candidates (admission still applies).",
        },
        maxCacheRecords: {
          kind: "integer",
          min: 64,
          max: 65_536,
          doc: "Records the mDNS cache of one interface holds; the nearest to expiry goes first.",
        },
        maxDiscoveredPeers: {
          kind: "integer",
          min: 1,
          max: 1024,
          doc: "Overlay peers found by mDNS kept as bootstrap candidates.",
        },
        interfacePollSeconds: {
          kind: "integer",
          min: 1,
          max: 3600,
          unit: "s",
          doc: "How often the interface list is read again to follow interfaces and addresses.",
        },
      },
    },
    sip: {
      kind: "section",
      doc: "The SIP registrar and proxy (Proxy Peer) for phones on the access point's network",
      fields: {
        enabled: {
          kind: "boolean",
          doc: "Run the SIP registrar and proxy; the default binds loopback only.",
        },
        host: {
          kind: "string",
          pattern: IP_LITERAL,
          patternHint: "an IPv4 or IPv6 address literal",
          doc:
            "Address the SIP UDP socket and TCP/TLS listeners bind; `0.0.0.0` or `::` needs `advertiseHost`.",
        },
        port: {
          kind: "integer",
          min: 0,
          max: 65535,
          doc: "UDP and TCP port of SIP (5060, RFC 3261 section 19.1.2); 0 picks a free one.",
        },
        advertiseHost: {
          kind: "string",
          pattern: IP_LITERAL_OR_EMPTY,
          patternHint: "an IPv4 or IPv6 address literal, not a wildcard, or empty",
          doc:
            "Address written in Via, Record-Route and the overlay's registrations (what phones and other superpeers reach); empty means `host`.",
        },
        tcp: {
          kind: "boolean",
          doc: "Also accept SIP over TCP on `port` (RFC 3261 section 18).",
        },
        tlsPort: {
          kind: "integer",
          min: 0,
          max: 65535,
          doc:
            "Port of SIP over TLS (5061); 0 turns TLS off. Without `tlsCertFile` a self-signed ECDSA certificate is made in `<dataDir>/tls/` on first start.",
        },
        tlsCertFile: {
          kind: "string",
          maxLength: 4096,
          doc: "PEM certificate chain for SIP over TLS; empty means the self-signed one.",
        },
        tlsKeyFile: {
          kind: "string",
          maxLength: 4096,
          doc: "PEM private key (unencrypted) of `tlsCertFile`.",
        },
        wsPort: {
          kind: "integer",
          min: 0,
          max: 65535,
          doc:
            "Port of SIP over WebSocket (RFC 7118, subprotocol `sip`) for browser softphones; 0 turns it off.",
        },
        wssPort: {
          kind: "integer",
          min: 0,
          max: 65535,
          doc:
            "Port of SIP over secure WebSocket (the TLS certificate of `tlsPort`); 0 turns it off. Browsers accept a self-signed certificate only after the user trusts it.",
        },
        domains: {
          kind: "stringList",
          maxItems: 16,
          pattern: DOMAIN_NAME,
          patternHint: "a DNS domain name",
          doc:
            "SIP domains this mesh serves (AORs sip:user@domain); the first names users reached through the overlay. Empty accepts registrations for any domain (test meshes).",
        },
        auth: {
          kind: "string",
          enum: ["digest", "none"],
          doc:
            "`digest`: REGISTER needs HTTP Digest credentials from `usersFile` (RFC 3261 section 22, RFC 8760); `none`: anyone may register any AOR (test meshes only).",
        },
        realm: {
          kind: "string",
          maxLength: 127,
          pattern: OVERLAY_NAME,
          patternHint: "1 to 127 characters, no control characters",
          doc: "Digest realm; `superpeer user add --realm` must use the same.",
        },
        digestAlgorithms: {
          kind: "stringList",
          maxItems: 3,
          pattern: /^(?:SHA-256|MD5|SHA-512-256)$/,
          patternHint: "SHA-256, MD5 or SHA-512-256",
          doc:
            "Digest challenges offered, one WWW-Authenticate per algorithm in this order (RFC 8760). Clients that read one challenge only pick differently: SIPp reads the first (give it MD5 alone), JsSIP the last (MD5 last works).",
        },
        digestCheckUri: {
          kind: "boolean",
          doc:
            "Refuse (400) credentials whose digest-uri is not the Request-URI (RFC 7616 section 3.4.6). SIPp and some phones put the server's address there instead: set false for them.",
        },
        usersFile: {
          kind: "string",
          maxLength: 4096,
          doc:
            "Users file of HA1 hashes written by `superpeer user add`; empty means `<dataDir>/sip_users`. Re-read on SIGHUP.",
        },
        minExpiresSeconds: {
          kind: "integer",
          min: 1,
          max: 3600,
          unit: "s",
          doc: "Shortest registration accepted; shorter ones get 423 with Min-Expires.",
        },
        maxExpiresSeconds: {
          kind: "integer",
          min: 60,
          max: 86_400,
          unit: "s",
          doc: "Longest registration granted; longer requests are shortened to it.",
        },
        defaultExpiresSeconds: {
          kind: "integer",
          min: 60,
          max: 86_400,
          unit: "s",
          doc: "Registration time when the REGISTER gives none.",
        },
        maxBindings: {
          kind: "integer",
          min: 1,
          max: 1_000_000,
          doc: "Contacts registered in all; new ones past it get 503 with Retry-After.",
        },
        maxBindingsPerAor: {
          kind: "integer",
          min: 1,
          max: 100,
          doc: "Contacts of one address-of-record; past it the one that lapses first is dropped.",
        },
        maxTransactions: {
          kind: "integer",
          min: 16,
          max: 1_000_000,
          doc:
            "Server transactions at once, and again client transactions (about 5 KB each); past it the oldest one only waiting for retransmissions ends early, and when none is, requests get 503.",
        },
        maxStreamClients: {
          kind: "integer",
          min: 1,
          max: 100_000,
          doc: "SIP TCP connections (and again TLS connections) open at once.",
        },
        maxStreamClientsPerIp: {
          kind: "integer",
          min: 1,
          max: 100_000,
          doc: "SIP TCP or TLS connections from one IP address.",
        },
        overlayRefreshSeconds: {
          kind: "integer",
          min: 5,
          max: 3600,
          unit: "s",
          doc:
            "How often each registration is stored again in the overlay (more often than phones refresh: peers holding copies fail).",
        },
        turnCredentialSeconds: {
          kind: "integer",
          min: 0,
          max: 7 * 86_400,
          unit: "s",
          doc:
            "Lifetime of the TURN REST credentials a REGISTER's 200 OK hands to the phone in `Superpeer-TURN` header fields (needs the relay and `relay.authSecrets`); 0 hands out none.",
        },
        proxyAuth: {
          kind: "boolean",
          doc:
            "With `auth` digest, challenge requests from our own phones (From one of `domains`) with 407 Proxy-Authenticate before proxying them (RFC 3261 section 22.3); ACK, CANCEL, in-dialog requests and requests from superpeers are not challenged.",
        },
        peers: {
          kind: "stringList",
          maxItems: 64,
          pattern: CIDR,
          patternHint: "a CIDR block, `10.0.0.0/8` or `fd00::/8`",
          doc:
            "Source blocks whose every request counts as a superpeer's (no challenge, no peering policy); superpeers are also recognised by the SIP address in their overlay registrations.",
        },
        peeringSources: {
          kind: "stringList",
          maxItems: 64,
          pattern: CIDR,
          patternHint: "a CIDR block, `10.0.0.0/8` or `fd00::/8`",
          doc:
            "Peering policy: blocks requests from outside (not our phones, not superpeers) may come from; others get 403. Empty allows any source.",
        },
        peeringDomains: {
          kind: "stringList",
          maxItems: 64,
          pattern: DOMAIN_NAME,
          patternHint: "a DNS domain name",
          doc:
            "Peering policy: From domains accepted from outside; others get 403. Empty allows any domain. Requests from outside for other domains than `domains` always get 403 (no open relay).",
        },
        peeringRequestsPerSecond: {
          kind: "integer",
          min: 0,
          max: 100_000,
          doc:
            "Peering policy: requests per second one outside source IP may send (token bucket); past it 503 with Retry-After. 0 turns the limit off.",
        },
        peeringBurst: {
          kind: "integer",
          min: 1,
          max: 100_000,
          doc: "Peering policy: requests one outside source IP may send in a burst.",
        },
        peeringMaxSources: {
          kind: "integer",
          min: 1,
          max: 1_000_000,
          doc:
            "Peering policy: outside source IPs with a rate bucket at once; past it the oldest bucket is dropped (counted).",
        },
        maxUnauthenticatedInvites: {
          kind: "integer",
          min: 0,
          max: 100_000,
          doc:
            "Peering policy: INVITEs from outside (not authenticated, not from superpeers) being proxied at once; past it 503 with Retry-After.",
        },
        routes: {
          kind: "stringList",
          maxItems: 64,
          pattern: /^[^=\s]+=\S+$/,
          patternHint: "`domain=host[:port][;transport=udp]`",
          doc:
            "Static routes for requests from our phones to other domains: the next hop of each domain (a host name is resolved by A/AAAA, or SRV without a port).",
        },
        defaultRoute: {
          kind: "string",
          maxLength: 300,
          pattern: /^(?:\S+)?$/,
          patternHint: "`host[:port][;transport=udp]` or empty",
          doc:
            "Next hop for every other domain without a static route (e.g. a Proxy Peer with Internet access); empty resolves the domain by RFC 3263 when `dns` is on.",
        },
        dns: {
          kind: "boolean",
          doc:
            "Resolve other domains by RFC 3263 (NAPTR, SRV, A/AAAA) with the system resolver; outbound goes over UDP only (no TCP or TLS client connections yet).",
        },
      },
    },
  },
};

/** Built-in defaults: the `dev` profile, safe on a developer's or CI machine. */
export const DEFAULT_CONFIG: SuperpeerConfig = {
  target: "dev",
  dataDir: "./data",
  shutdownTimeoutMs: 4000,
  identity: { keyFile: "" },
  log: { level: "info", format: "logfmt", repeatWindowSeconds: 10 },
  ops: { enabled: true, host: "127.0.0.1", port: DEFAULT_OPS_PORT, maxConnections: 16 },
  limits: { heapMb: 256, memoryMb: 384, openFiles: 1024 },
  overlay: {
    enabled: true,
    host: "127.0.0.1",
    port: DEFAULT_OVERLAY_PORT,
    bootstrap: [],
    advertise: [],
    stabilizeMaxMs: 20_000,
    peerTimeoutMs: 30_000,
    name: "superpeer",
    admission: "open",
    operatorPublicKey: "",
    certificateFile: "",
    sharedSecretFile: "",
    replayWindowSeconds: 300,
  },
  relay: {
    enabled: true,
    host: "127.0.0.1",
    port: DEFAULT_RELAY_PORT,
    relayHost: "",
    relayHost6: "",
    portMin: DEFAULT_MIN_RELAY_PORT,
    portMax: DEFAULT_MAX_RELAY_PORT,
    realm: "superpeer",
    users: [],
    authSecrets: [],
    maxAllocations: DEFAULT_MAX_ALLOCATIONS,
    maxAllocationsPerUser: DEFAULT_MAX_ALLOCATIONS_PER_USER,
    maxAllocationsPerClientIp: DEFAULT_MAX_ALLOCATIONS_PER_CLIENT_IP,
    maxPermissionsPerAllocation: DEFAULT_MAX_PERMISSIONS_PER_ALLOCATION,
    maxChannelsPerAllocation: DEFAULT_MAX_CHANNELS_PER_ALLOCATION,
    allocationBytesPerSecond: DEFAULT_MAX_ALLOCATION_BYTES_PER_SECOND,
    totalBytesPerSecond: DEFAULT_MAX_TOTAL_BYTES_PER_SECOND,
    allowPeers: [],
    denyPeers: [],
    allowLoopbackPeers: false,
    allowRfc5766Channels: false,
    advertise: true,
    tcp: true,
    tlsPort: DEFAULT_RELAY_TLS_PORT,
    tlsCertFile: "",
    tlsKeyFile: "",
    maxStreamClients: DEFAULT_MAX_STREAM_CLIENTS,
    maxStreamClientsPerIp: DEFAULT_MAX_STREAM_CLIENTS_PER_IP,
    streamIdleSeconds: DEFAULT_STREAM_IDLE_S,
    streamBacklogBytes: DEFAULT_STREAM_BACKLOG_BYTES,
  },
  sip: {
    enabled: true,
    host: "127.0.0.1",
    port: DEFAULT_SIP_PORT,
    advertiseHost: "",
    tcp: true,
    tlsPort: DEFAULT_SIP_TLS_PORT,
    tlsCertFile: "",
    tlsKeyFile: "",
    wsPort: DEFAULT_SIP_WS_PORT,
    wssPort: DEFAULT_SIP_WSS_PORT,
    domains: [],
    auth: "digest",
    realm: DEFAULT_REALM,
    digestAlgorithms: ["SHA-256", "MD5"],
    digestCheckUri: true,
    usersFile: "",
    minExpiresSeconds: DEFAULT_MIN_EXPIRES_S,
    maxExpiresSeconds: DEFAULT_MAX_EXPIRES_S,
    defaultExpiresSeconds: DEFAULT_EXPIRES_S,
    maxBindings: DEFAULT_MAX_BINDINGS,
    maxBindingsPerAor: DEFAULT_MAX_BINDINGS_PER_AOR,
    maxTransactions: DEFAULT_MAX_SERVER_TRANSACTIONS,
    maxStreamClients: DEFAULT_MAX_STREAM_CLIENTS,
    maxStreamClientsPerIp: DEFAULT_MAX_STREAM_CLIENTS_PER_IP,
    overlayRefreshSeconds: 60,
    turnCredentialSeconds: 86_400,
    proxyAuth: true,
    peers: [],
    peeringSources: [],
    peeringDomains: [],
    peeringRequestsPerSecond: DEFAULT_PEERING_REQUESTS_PER_SECOND,
    peeringBurst: DEFAULT_PEERING_BURST,
    peeringMaxSources: DEFAULT_PEERING_MAX_SOURCES,
    maxUnauthenticatedInvites: DEFAULT_MAX_UNAUTHENTICATED_INVITES,
    routes: [],
    defaultRoute: "",
    dns: true,
  },
  mdns: {
    enabled: true,
    interfaces: [],
    denyInterfaces: [],
    ipv4: true,
    ipv6: true,
    hostName: "",
    instanceName: "",
    advertise: [...MDNS_ADVERTISED],
    bootstrap: true,
    maxCacheRecords: 1024,
    maxDiscoveredPeers: 32,
    interfacePollSeconds: 10,
  },
};

/**
 * Rules that involve more than one key, checked on the merged configuration (resolveConfig).
 *
 * @example
 * ```ts
 * crossFieldIssues({ ...DEFAULT_CONFIG, overlay: { ...DEFAULT_CONFIG.overlay, admission: "operator" } });
 * // [{ path: "overlay.operatorPublicKey", message: "required when overlay.admission is \"operator\" ..." }]
 * ```
 */
export function crossFieldIssues(config: SuperpeerConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (config.overlay.admission === "operator" && config.overlay.operatorPublicKey === "") {
    issues.push({
      path: "overlay.operatorPublicKey",
      message:
        'required when overlay.admission is "operator" (the operator\'s public key, as `superpeer keygen` prints it)',
    });
  }
  issues.push(...relayIssues(config.relay));
  issues.push(...sipIssues(config.sip));
  issues.push(...mdnsIssues(config.mdns));
  return issues;
}

function mdnsIssues(mdns: SuperpeerConfig["mdns"]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const bytes = new TextEncoder().encode(mdns.instanceName).length;
  if (bytes > 63) {
    issues.push({
      path: "mdns.instanceName",
      message: `${bytes} bytes of UTF-8: a DNS-SD instance name is one DNS label, at most 63 bytes`,
    });
  }
  if (mdns.interfaces.includes("*") && mdns.interfaces.length > 1) {
    issues.push({
      path: "mdns.interfaces",
      message: '"*" already means every interface: list it alone, or list names',
    });
  }
  return issues;
}

/** The address SIP writes in Via, Record-Route and the overlay: advertiseHost, else host. */
export function sipAdvertisedHostOf(sip: SuperpeerConfig["sip"]): string {
  return sip.advertiseHost === "" ? sip.host : sip.advertiseHost;
}

function sipIssues(sip: SuperpeerConfig["sip"]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if ((sip.tlsCertFile === "") !== (sip.tlsKeyFile === "")) {
    issues.push({
      path: sip.tlsCertFile === "" ? "sip.tlsCertFile" : "sip.tlsKeyFile",
      message: "give both tlsCertFile and tlsKeyFile, or neither (a self-signed pair is made)",
    });
  }
  if (isWildcardHost(sipAdvertisedHostOf(sip))) {
    issues.push({
      path: "sip.advertiseHost",
      message: sip.advertiseHost === ""
        ? `required when sip.host is a wildcard (${sip.host}): Via and Record-Route need a concrete address`
        : "must be a concrete address, not a wildcard",
    });
  }
  if (sip.minExpiresSeconds > sip.maxExpiresSeconds) {
    issues.push({
      path: "sip.minExpiresSeconds",
      message: `${sip.minExpiresSeconds} is above sip.maxExpiresSeconds (${sip.maxExpiresSeconds})`,
    });
  }
  const ports: Array<[string, number]> = [
    ["sip.port", sip.tcp ? sip.port : 0],
    ["sip.tlsPort", sip.tlsPort],
    ["sip.wsPort", sip.wsPort],
    ["sip.wssPort", sip.wssPort],
  ];
  const seen = new Map<number, string>();
  for (const [path, port] of ports) {
    if (port === 0) continue;
    const other = seen.get(port);
    if (other !== undefined) {
      issues.push({
        path,
        message: `port ${port} is already ${other}'s (one TCP listener per port)`,
      });
    }
    seen.set(port, path);
  }
  for (const key of ["peers", "peeringSources"] as const) {
    sip[key].forEach((block, i) => {
      const problem = cidrProblem(block);
      if (problem !== undefined) issues.push({ path: `sip.${key}[${i}]`, message: problem });
    });
  }
  const hops: Array<readonly [path: string, text: string, route: boolean]> = [
    ...sip.routes.map((entry, i) => [`sip.routes[${i}]`, entry, true] as const),
    ...(sip.defaultRoute === "" ? [] : [["sip.defaultRoute", sip.defaultRoute, false] as const]),
  ];
  for (const [path, text, route] of hops) {
    try {
      const hop = route ? parseRoute(text).hop : parseNextHop(text);
      if (hop.params.some((p) => p.value?.toLowerCase() === "tcp")) {
        issues.push({
          path,
          message:
            "transport=tcp needs TCP client connections, which superpeer does not open yet: use udp",
        });
      }
    } catch (error) {
      if (!(error instanceof OutboundRouteError)) throw error;
      issues.push({ path, message: error.message });
    }
  }
  return issues;
}

/** The relay address that `relay.relayHost` resolves to: itself, or `relay.host` when empty. */
export function relayHostOf(relay: SuperpeerConfig["relay"]): string {
  return relay.relayHost === "" ? relay.host : relay.relayHost;
}

function isWildcardHost(host: string): boolean {
  return host === "0.0.0.0" || /^[0:]+$/.test(host);
}

function relayIssues(relay: SuperpeerConfig["relay"]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if ((relay.tlsCertFile === "") !== (relay.tlsKeyFile === "")) {
    issues.push({
      path: relay.tlsCertFile === "" ? "relay.tlsCertFile" : "relay.tlsKeyFile",
      message: "relay.tlsCertFile and relay.tlsKeyFile go together: set both for TLS, or neither",
    });
  }
  if (relay.portMin > relay.portMax) {
    issues.push({
      path: "relay.portMin",
      message: `must not be above relay.portMax (${relay.portMin} > ${relay.portMax})`,
    });
  }
  const relayHost = relayHostOf(relay);
  if (relay.relayHost6 !== "") {
    if (!relay.relayHost6.includes(":") || isWildcardHost(relay.relayHost6)) {
      issues.push({
        path: "relay.relayHost6",
        message: `must be a concrete IPv6 address, got ${relay.relayHost6}`,
      });
    } else if (relayHost.includes(":")) {
      issues.push({
        path: "relay.relayHost6",
        message:
          `only with an IPv4 relay address (relayHost resolves to ${relayHost}, already IPv6)`,
      });
    }
  }
  if (isWildcardHost(relayHost)) {
    issues.push({
      path: "relay.relayHost",
      message: relay.relayHost === ""
        ? `required when relay.host is a wildcard (${relay.host}): XOR-RELAYED-ADDRESS needs a concrete address`
        : "must be a concrete address, not a wildcard: XOR-RELAYED-ADDRESS carries it",
    });
  }
  const seen = new Set<string>();
  relay.users.forEach((entry, i) => {
    const at = entry.lastIndexOf(":");
    const name = entry.slice(0, at);
    const algorithm = entry.slice(at + 1).replace(/^0x/, "").length === 64 ? "SHA-256" : "MD5";
    if (seen.has(`${algorithm}:${name}`)) {
      issues.push({
        path: `relay.users[${i}]`,
        message: `user "${name}" is listed twice with an ${algorithm} key`,
      });
    }
    seen.add(`${algorithm}:${name}`);
  });
  for (const key of ["allowPeers", "denyPeers"] as const) {
    relay[key].forEach((block, i) => {
      try {
        new PeerPolicy(key === "allowPeers" ? { allow: [block] } : { deny: [block] });
      } catch (error) {
        issues.push({
          path: `relay.${key}[${i}]`,
          message: `not a CIDR block: ${(error as Error).message}`,
        });
      }
    });
  }
  return issues;
}
