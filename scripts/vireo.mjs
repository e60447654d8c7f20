#!/usr/bin/env node
// The `vireo` command's launcher (package.json "bin"): runs scripts/vireo.ts under tsx, so the
// TypeScript tooling needs no compile step of its own.
import { register } from "tsx/esm/api";

register();
await import("./vireo.ts");
