import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { clearInterval, setInterval } from "node:timers";
import { type Clock, systemClock } from "../core/clock.ts";
import { TurnServiceTransport } from "../codec/overlay/turn_service_value.ts";
import { RestCredentialStore } from "../relay/credentials.ts";
import type { TurnHandoffSource, TurnServerUri } from "../sip/turn_handoff.ts";
import { ConfigError, describeError } from "../core/errors.ts";
import { MetricsRegistry } from "../core/metrics.ts";
import { VERSION } from "../core/version.ts";
import { formatNodeId } from "../identity/node_key.ts";
import { diffConfig } from "./config/config_diff.ts";
import { type LoadedConfig, readConfigFile, resolveConfig } from "./config/load_config.ts";
import { relayHostOf, type SuperpeerConfig } from "./config/superpeer_config.ts";
import { Daemon } from "./daemon.ts";
import { ensureDataDir } from "./data_dir.ts";
import { LogSink } from "./log_sink.ts";
import { loadOrCreateNodeKey } from "./node_key_file.ts";
import { OpsHttpService } from "./ops/ops_http_service.ts";
import { OverlayService } from "./overlay_service.ts";
import { MdnsDaemonService } from "./mdns_daemon_service.ts";
import { MdnsSockets } from "../transport/mdns_sockets.ts";
import { openDatagramTransport } from "../transport/open_datagram_transport.ts";
import { openTcpListener } from "../transport/tcp_listener.ts";
import { openWebSocketListener } from "../transport/websocket_listener.ts";
import { ProcessMetrics } from "./process_metrics.ts";
import { RelayAdvertiser } from "./relay_advertiser.ts";
import { RelayService } from "./relay_service.ts";
import { SipService, systemSipDns } from "./sip_service.ts";
import {
  installCrashGuards,
  installSignalHandlers,
  openFileLimit,
  runtimeInfo,
  sampleMemory,
} from "./runtime.ts";

/** How often the daemon checks its memory budget and flushes suppressed-log summaries. */
export const HOUSEKEEPING_INTERVAL_MS = 5_000;

const MIB = 1024 * 1024;

/**
 * Whether the relay may be advertised in the overlay: asked for, and reachable by the overlay's
 * peers (a relay on loopback is useless to a ring that is not on loopback).
 */
export function relayAdvertisement(
  config: SuperpeerConfig,
): { ok: boolean; reason: string } {
  if (!config.relay.advertise) return { ok: false, reason: "relay.advertise is false" };
  const loopback = (host: string) => host.startsWith("127.") || host === "::1";
  if (loopback(relayHostOf(config.relay)) && !loopback(config.overlay.host)) {
    return { ok: false, reason: "the relay listens on loopback and the overlay does not" };
  }
  return { ok: true, reason: "" };
}

/**
 * The relay hand-off for the SIP service: this superpeer's relay and TURN REST credentials from
 * its first `relay.authSecrets` entry, when the relay runs with secrets and the SIP side asks.
 */
function turnHandoff(
  config: SuperpeerConfig,
  relay: RelayService | undefined,
  clock: Clock,
): { turn?: TurnHandoffSource } {
  const ttlSeconds = config.sip.turnCredentialSeconds;
  if (relay === undefined || config.relay.authSecrets.length === 0 || ttlSeconds === 0) return {};
  const store = new RestCredentialStore({ secrets: config.relay.authSecrets }, { clock });
  const uris: Record<number, Array<Pick<TurnServerUri, "scheme" | "transport">>> = {
    [TurnServiceTransport.Udp]: [{ scheme: "turn", transport: "udp" }],
    [TurnServiceTransport.Tcp]: [{ scheme: "turn", transport: "tcp" }],
    [TurnServiceTransport.Tls]: [{ scheme: "turns", transport: "tcp" }],
  };
  return {
    turn: {
      servers: () =>
        (relay.advertisedAddresses() ?? []).flatMap((a) =>
          (uris[a.transport] ?? []).map((u) => ({ ...u, ...a.address }))
        ),
      mint: (user) => store.mint(user.replaceAll(":", "_"), { ttlSeconds }),
    },
  };
}

/** Reads the relay's PEM certificate and key; a file that cannot be read is a ConfigError. */
async function readTlsFiles(
  files: { readonly certFile: string; readonly keyFile: string },
): Promise<{ certPem: string; keyPem: string }> {
  const read = async (path: string, key: string) => {
    try {
      return await readFile(path, "utf8");
    } catch (error) {
      const code = (error as { code?: string }).code ?? String(error);
      throw new ConfigError("relay TLS", [{ path: key, message: `cannot read ${path}: ${code}` }]);
    }
  };
  return {
    certPem: await read(files.certFile, "relay.tlsCertFile"),
    keyPem: await read(files.keyFile, "relay.tlsKeyFile"),
  };
}

/** The key file used when `identity.keyFile` is empty. */
export function keyFilePath(config: SuperpeerConfig): string {
  return config.identity.keyFile || join(config.dataDir, "node_key.pem");
}

export interface StartOptions {
  readonly loaded: LoadedConfig;
  /** `--set` overrides, re-applied on every reload. */
  readonly sets: readonly string[];
  /** Receives log lines (stderr in production). */
  readonly writeLog: (line: string) => void;
  /** Install SIGINT/SIGTERM/SIGHUP and crash guards (the CLI does; tests may not). */
  readonly processHooks: boolean;
}

/** A running superpeer, as the CLI and tests hold it. */
export interface RunningSuperpeer {
  readonly nodeId: string;
  readonly opsAddress: { host: string; port: number } | undefined;
  /** Re-reads the config file and applies what can change live; never throws. */
  reload(): Promise<void>;
  /** Stops every service; resolves with the process exit code (0 when all stopped in time). */
  shutdown(reason: string): Promise<number>;
  /** Resolves with the exit code once a shutdown has finished. */
  readonly done: Promise<number>;
}

/** Builds every component from the configuration, starts the services and wires signals. */
export async function startSuperpeer(options: StartOptions): Promise<RunningSuperpeer> {
  let config = options.loaded.config;
  const clock = systemClock;
  const sink = new LogSink({
    level: config.log.level,
    format: config.log.format,
    repeatWindowMs: config.log.repeatWindowSeconds * 1000,
    write: options.writeLog,
    clock,
  });
  const log = sink.logger("superpeer:daemon");
  const registry = new MetricsRegistry();
  const processMetrics = new ProcessMetrics(registry, clock);
  const runtime = runtimeInfo();
  registry.gauge("superpeer_build_info", "Always 1; labels carry version and runtime", [
    "version",
    "runtime",
    "runtime_version",
  ])
    .with({ version: VERSION, runtime: runtime.name, runtime_version: runtime.version }).set(1);
  const suppressedLines = registry.gauge(
    "superpeer_log_suppressed_lines",
    "Log lines withheld as repeats since start",
  );
  const rssBudget = registry.gauge(
    "superpeer_memory_budget_bytes",
    "Resident-memory budget from limits.memoryMb",
  );
  registry.addCollector(() => {
    suppressedLines.set(sink.suppressedTotal);
    rssBudget.set(config.limits.memoryMb * MIB);
  });

  log.info("Starting superpeer", {
    version: VERSION,
    runtime: `${runtime.name} ${runtime.version}`,
    target: config.target,
    config: options.loaded.path ?? "built-in defaults",
    pid: process.pid,
  });

  await ensureDataDir(config.dataDir);
  const nodeKey = await loadOrCreateNodeKey(keyFilePath(config), sink.logger("superpeer:identity"));
  const nodeId = formatNodeId(nodeKey.nodeId);
  checkBudgets(config, (message, fields) => log.warn(message, fields));
  if (config.overlay.admission === "open") {
    log.warn(
      "Overlay admission is open: anyone can join with a self-made id (Sybil attacks, RFC 6940 section 13.4); use operator or shared-secret outside test meshes",
      { overlay: config.overlay.name },
    );
  }

  const daemon = new Daemon({
    logger: sink.logger("superpeer:lifecycle"),
    metrics: registry,
    clock,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
  });
  const status = () => {
    const memory = processMetrics.memory();
    return {
      version: VERSION,
      runtime,
      target: config.target,
      nodeId,
      pid: process.pid,
      uptimeSeconds: Math.round(daemon.uptimeMs() / 1000),
      configPath: options.loaded.path ?? null,
      services: daemon.report(),
      memory: {
        rssBytes: memory.rssBytes,
        rssBudgetBytes: config.limits.memoryMb * MIB,
        heapUsedBytes: memory.heapUsedBytes,
        heapTotalBytes: memory.heapTotalBytes,
        heapLimitBytes: memory.heapLimitBytes,
        heapBudgetBytes: config.limits.heapMb * MIB,
        externalBytes: memory.externalBytes,
      },
      eventLoopLagMs: Math.round(processMetrics.lagMs * 10) / 10,
      handlerErrors: registry.value("superpeer_handler_errors_total", { service: "process" }) ?? 0,
      logSuppressedLines: sink.suppressedTotal,
    };
  };
  const health = () => {
    if (daemon.healthy()) return { ok: true, detail: "ok" };
    const notRunning = daemon.report().filter((s) => s.state !== "running").map((s) =>
      `${s.name}=${s.state}`
    );
    return { ok: false, detail: `not ready: ${notRunning.join(" ")}` };
  };
  let overlay: OverlayService | undefined;
  if (config.overlay.enabled) {
    overlay = new OverlayService(config, {
      logger: (name) => sink.logger(name),
      metrics: registry,
      clock,
      key: nodeKey,
    });
    daemon.register(overlay);
  }
  let relayService: RelayService | undefined;
  if (config.relay.enabled) {
    const udpLogger = sink.logger("superpeer:transport:udp");
    const relay = new RelayService(config.relay, {
      logger: (name) => sink.logger(name),
      metrics: registry,
      clock,
      openTransport: (address) =>
        openDatagramTransport(address, { logger: udpLogger, metrics: registry }),
      openStreamListener: async (options) => {
        const { tls, ...rest } = options;
        return await openTcpListener({
          ...rest,
          ...(tls === undefined ? {} : { tls: await readTlsFiles(tls) }),
          metricPrefix: tls === undefined ? "superpeer_relay_tcp" : "superpeer_relay_tls",
        }, { logger: sink.logger("superpeer:transport:tcp"), metrics: registry });
      },
    });
    daemon.register(relay);
    relayService = relay;
    const advertise = relayAdvertisement(config);
    if (overlay !== undefined && advertise.ok) {
      const node = overlay;
      daemon.register(
        new RelayAdvertiser({}, {
          overlay: () => node.node,
          addresses: () => relay.advertisedAddresses(),
          key: nodeKey,
          clock,
          logger: sink.logger("superpeer:relay:advertiser"),
          metrics: registry,
        }),
      );
    } else {
      sink.logger("superpeer:relay:advertiser").info("Relay not advertised in the overlay", {
        reason: overlay === undefined ? "overlay disabled" : advertise.reason,
      });
    }
  }
  let sip: SipService | undefined;
  if (config.sip.enabled) {
    const udpLogger = sink.logger("superpeer:transport:udp");
    const node = overlay;
    sip = new SipService({ ...config.sip, dataDir: config.dataDir }, {
      logger: (name) => sink.logger(name),
      metrics: registry,
      clock,
      key: nodeKey,
      openTransport: (address) =>
        openDatagramTransport(address, { logger: udpLogger, metrics: registry }),
      openStreamListener: (options) =>
        openTcpListener({
          ...options,
          metricPrefix: options.tls === undefined ? "superpeer_sip_tcp" : "superpeer_sip_tls",
        }, { logger: sink.logger("superpeer:transport:tcp"), metrics: registry }),
      openWebSocketListener: (options) =>
        openWebSocketListener({
          ...options,
          metricPrefix: options.tls === undefined ? "superpeer_sip_ws" : "superpeer_sip_wss",
        }, { logger: sink.logger("superpeer:transport:websocket"), metrics: registry }),
      ...(node !== undefined ? { overlay: () => node.node } : {}),
      ...(config.sip.dns ? { dns: systemSipDns() } : {}),
      ...turnHandoff(config, relayService, clock),
    });
    daemon.register(sip);
  }
  if (config.mdns.enabled) {
    // After the services it advertises (it reads their bound ports), so it stops first and its
    // goodbyes go out while they still listen.
    const overlayService = overlay;
    const sipService = sip;
    const relay = relayService;
    daemon.register(
      new MdnsDaemonService(config, {
        logger: (name) => sink.logger(name),
        metrics: registry,
        clock,
        nodeId: nodeKey.nodeId,
        openNetwork: (options) =>
          new MdnsSockets({
            interfaces: { allow: options.interfaces, deny: options.denyInterfaces },
            ipv4: options.ipv4,
            ipv6: options.ipv6,
            pollIntervalMs: options.pollIntervalMs,
          }, { logger: sink.logger("superpeer:transport:mdns"), metrics: registry }),
        ...(overlayService
          ? { overlay: { local: () => overlayService.local, node: () => overlayService.node } }
          : {}),
        ...(sipService ? { sip: () => sipService.listening() } : {}),
        ...(relay ? { relay: () => relay.listening() } : {}),
      }),
    );
  }
  let ops: OpsHttpService | undefined;
  if (config.ops.enabled) {
    ops = new OpsHttpService(config.ops, {
      logger: sink.logger("superpeer:ops"),
      metrics: registry,
      registry,
      status,
      health,
    });
    daemon.register(ops);
  }

  processMetrics.start();
  const housekeeping = setInterval(() => {
    sink.flushSuppressed();
    const rss = processMetrics.memory().rssBytes;
    if (rss > config.limits.memoryMb * MIB) {
      log.warn("Resident memory is above the budget", {
        rssMb: Math.round(rss / MIB),
        budgetMb: config.limits.memoryMb,
      });
    }
  }, HOUSEKEEPING_INTERVAL_MS);
  housekeeping.unref();

  let removeHooks = () => {};
  let resolveDone: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => (resolveDone = resolve));
  let shuttingDown: Promise<number> | undefined;

  const shutdown = (reason: string): Promise<number> => {
    if (shuttingDown) {
      log.info("Shutdown already in progress", { reason });
      return shuttingDown;
    }
    shuttingDown = (async () => {
      log.info("Shutting down", { reason });
      const inTime = await daemon.stop();
      processMetrics.close();
      clearInterval(housekeeping);
      removeHooks();
      const code = inTime ? 0 : 1;
      log.info("Stopped", { code });
      sink.flushSuppressed(true);
      resolveDone(code);
      return code;
    })();
    return shuttingDown;
  };

  const reload = async (): Promise<void> => {
    const path = options.loaded.path;
    let next: SuperpeerConfig;
    try {
      const file = path === undefined ? {} : await readConfigFile(path);
      next = resolveConfig(file, options.sets, path ?? "built-in defaults");
    } catch (error) {
      const issues = error instanceof ConfigError
        ? error.issues.map((i) => `${i.path}: ${i.message}`).join("; ")
        : undefined;
      log.error("Rejected the new configuration; keeping the running one", {
        error: describeError(error).split("\n")[0],
        issues,
      });
      return;
    }
    const diff = diffConfig(config, next);
    if (diff.restart.length > 0) {
      log.warn("Some changed keys apply only after a restart", { keys: diff.restart.join(",") });
    }
    // Live keys take effect; restart-only keys keep their running values until the next start.
    config = mergeLive(config, next, diff.live);
    sink.reconfigure({
      level: config.log.level,
      format: config.log.format,
      repeatWindowMs: config.log.repeatWindowSeconds * 1000,
    });
    ops?.setMaxConnections(config.ops.maxConnections);
    overlay?.setReplayWindow(config.overlay.replayWindowSeconds);
    await sip?.reloadUsers();
    daemon.setShutdownTimeout(config.shutdownTimeoutMs);
    log.info("Reloaded configuration", { applied: diff.live.join(",") || "nothing changed" });
  };

  if (options.processHooks) {
    const removeSignals = installSignalHandlers({
      shutdown: (signal) => void shutdown(signal),
      reload: () => void reload(),
    });
    const removeGuards = installCrashGuards((error, kind) =>
      daemon.reportHandlerError("process", error ?? kind)
    );
    removeHooks = () => {
      removeSignals();
      removeGuards();
    };
  }

  try {
    await daemon.start();
  } catch (error) {
    await shutdown("start failed");
    throw error;
  }
  log.info("superpeer is running", {
    nodeId,
    services: daemon.report().map((s) => s.name).join(",") || "none",
    ops: ops?.address ? `http://${ops.address.host}:${ops.address.port}` : "off",
  });

  return { nodeId, opsAddress: ops?.address, reload, shutdown, done };
}

function mergeLive(
  running: SuperpeerConfig,
  next: SuperpeerConfig,
  livePaths: readonly string[],
): SuperpeerConfig {
  const out = JSON.parse(JSON.stringify(running)) as Record<string, Record<string, unknown>>;
  for (const path of livePaths) {
    const keys = path.split(".");
    let src: unknown = next;
    let dst: Record<string, unknown> = out;
    for (const key of keys.slice(0, -1)) {
      src = (src as Record<string, unknown>)[key];
      dst = dst[key] as Record<string, unknown>;
    }
    const last = keys.at(-1)!;
    dst[last] = (src as Record<string, unknown>)[last];
  }
  return out as unknown as SuperpeerConfig;
}

function checkBudgets(
  config: SuperpeerConfig,
  warn: (message: string, fields: Record<string, string | number>) => void,
): void {
  const nofile = openFileLimit();
  if (nofile !== undefined && nofile < config.limits.openFiles) {
    warn(
      "Open-file limit is below limits.openFiles: raise nofile (ulimit -n, procd limits, LimitNOFILE)",
      {
        nofile,
        wanted: config.limits.openFiles,
      },
    );
  }
  const heapLimitMb = Math.round(sampleMemory().heapLimitBytes / MIB);
  // V8's limit counts young generation and code space too, so it sits above --max-old-space-size.
  if (heapLimitMb > config.limits.heapMb * 2 + 128) {
    warn(
      "V8 heap limit is far above limits.heapMb: launch with --max-old-space-size (the target builds do)",
      {
        heapLimitMb,
        heapMb: config.limits.heapMb,
      },
    );
  }
}
