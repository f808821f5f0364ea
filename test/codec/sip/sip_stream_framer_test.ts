import { test } from "uvu";
import * as assert from "uvu/assert";
import { SipStreamFramer } from "../../../src/codec/sip/sip_stream_framer.ts";
import { decode, encode, INVITE, refusal, REGISTER, thrown } from "./sip_helpers.ts";

function run(framer: SipStreamFramer, chunks: Uint8Array[]): { messages: string[]; pings: number } {
  const messages: string[] = [];
  let pings = 0;
  for (const chunk of chunks) framer.feed(chunk, (m) => messages.push(decode(m)), () => pings++);
  return { messages, pings };
}

function split(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.slice(i, i + size));
  return out;
}

const STREAM = encode(`${INVITE}\r\n\r\n${REGISTER}\r\n${INVITE}`);

test("SipStreamFramer delivers each message whole at every chunk size, pings counted", () => {
  for (const size of [1, 2, 3, 7, 64, 500, 4096, STREAM.length]) {
    const { messages, pings } = run(new SipStreamFramer(), split(STREAM, size));
    assert.equal(messages, [INVITE, REGISTER, INVITE], `chunks of ${size}`);
    assert.is(pings, 1, `chunks of ${size}`);
  }
});

test("SipStreamFramer hands out a message inside one chunk as a view, without copying", () => {
  const framer = new SipStreamFramer();
  let view: Uint8Array | undefined;
  framer.feed(STREAM, (m) => view ??= m);
  assert.is(view!.buffer, STREAM.buffer);
  assert.is(framer.buffered, 0);
});

test("SipStreamFramer reports CRLF CRLF pings between messages and ignores a lone CRLF", () => {
  const { messages, pings } = run(new SipStreamFramer(), [
    encode("\r\n\r\n\r"),
    encode("\n\r\n"),
    encode(`\r\n${REGISTER}`),
  ]);
  assert.is(pings, 2);
  assert.is(messages.length, 1);
});

test("SipStreamFramer refuses a stream message without Content-Length, and stays refused", () => {
  const framer = new SipStreamFramer();
  const noLength = encode(REGISTER.replace("Content-Length: 0\r\n", ""));
  assert.is(refusal(() => framer.feed(noLength, () => {})).reason, "CONTENT_LENGTH");
  assert.is(refusal(() => framer.feed(encode(REGISTER), () => {})).reason, "CONTENT_LENGTH");
  framer.reset();
  assert.is(run(framer, [encode(REGISTER)]).messages.length, 1);
});

test("SipStreamFramer reads compact and folded Content-Length, refuses repeated or bad ones", () => {
  const compact = REGISTER.replace("Content-Length: 0", "l :\r\n 4") + "abcd";
  assert.equal(run(new SipStreamFramer(), [encode(compact)]).messages, [compact]);
  const twice = REGISTER.replace("Content-Length: 0\r\n", "Content-Length: 0\r\nl: 0\r\n");
  assert.is(
    refusal(() => new SipStreamFramer().feed(encode(twice), () => {})).reason,
    "CONTENT_LENGTH",
  );
  const negative = REGISTER.replace("Content-Length: 0", "Content-Length: -1");
  assert.is(
    refusal(() => new SipStreamFramer().feed(encode(negative), () => {})).reason,
    "CONTENT_LENGTH",
  );
});

test("SipStreamFramer refuses oversize messages before buffering their body", () => {
  const framer = new SipStreamFramer({ maxMessageBytes: 1024 });
  const huge = REGISTER.replace("Content-Length: 0", "Content-Length: 100000");
  const error = refusal(() => framer.feed(encode(huge), () => {}));
  assert.is(error.reason, "TOO_LARGE");
  assert.is(framer.buffered, 0);
  // Header fields that never end are refused once they pass the limit, fed a byte at a time too.
  const endless = new SipStreamFramer({ maxMessageBytes: 256 });
  const line = encode("X-Junk: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
  const caught = refusal(() => {
    endless.feed(encode("OPTIONS sip:a SIP/2.0\r\n"), () => {});
    for (let i = 0; i < 20; i++) for (const b of line) endless.feed(Uint8Array.of(b), () => {});
  });
  assert.is(caught.reason, "TOO_LARGE");
  assert.instance(thrown(() => new SipStreamFramer({ maxMessageBytes: 10 })), RangeError);
});

test("SipStreamFramer: a throwing handler poisons the framer", () => {
  const framer = new SipStreamFramer();
  assert.throws(() =>
    framer.feed(STREAM, () => {
      throw new Error("boom");
    }), /boom/);
  assert.is(refusal(() => framer.feed(encode(REGISTER), () => {})).reason, "STREAM");
});

test.run();
