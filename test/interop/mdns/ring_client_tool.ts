// Runs inside a lab host (test/helpers/netns_lan.ts): a client peer that stores one signed SIP
// registration through one daemon of the ring and fetches it through others, printing one JSON
// line: {"stored": <answer code>, "storeAns": <StoreAns code>, "missing": [...]}.
// Usage: ring_client_tool.ts <bind ip> <store through ip:port> <fetch through ip:port>...
// It sends unicast only, to the lab addresses it is given, from a lab address it binds.
import { MessageCode } from "../../../src/codec/overlay/constants.ts";
import { parseHostPort } from "../../../src/daemon/overlay_service.ts";
import { type Member, RingClient } from "../../overlay/daemon_ring.ts";

const [bind, storeThrough, ...fetchThrough] = Deno.args;
if (bind === undefined || storeThrough === undefined || fetchThrough.length === 0) {
  // deno-lint-ignore no-console -- a command-line tool
  console.error("usage: ring_client_tool.ts <bind ip> <store ip:port> <fetch ip:port>...");
  Deno.exit(2);
}
const client = await RingClient.open(bind);
try {
  const record = client.registration("sip:alice@mesh.example.org", "<sip:alice@10.77.0.99>");
  const stored = await client.store(record, parseHostPort(storeThrough));
  await new Promise((r) => setTimeout(r, 1000)); // replicas are written asynchronously
  const members = fetchThrough.map((a) => ({ udp: parseHostPort(a), nodeId: a }) as Member);
  const missing = await client.missing([record], members);
  // deno-lint-ignore no-console -- its one line of output
  console.log(JSON.stringify({ stored, storeAns: MessageCode.StoreAns, missing }));
} finally {
  await client.close();
}
Deno.exit(0);
