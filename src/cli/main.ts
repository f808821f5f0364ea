// Entry point of the `superpeer` executable (source, bundle, compiled binary and SEA alike).
import { processIo } from "./cli_io.ts";
import { superpeerCli } from "./superpeer_cli.ts";
import { commandLineArgs } from "../daemon/runtime.ts";

superpeerCli(commandLineArgs(), processIo()).then(
  (code) => process.exit(code),
  () => process.exit(1),
);
