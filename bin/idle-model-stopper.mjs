#!/usr/bin/env node
// The package ships TypeScript with no build step: tsx's ESM loader hooks compile cli/, lambda/ and common/ as
// they are imported. `tsconfig: false` keeps a tsconfig.json in the caller's directory from changing how.
import { register } from "tsx/esm/api";

register({ tsconfig: false });
await import("../cli/main.ts");
