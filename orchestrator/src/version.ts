// The one version: package.json's, embedded at build time (a compiled binary has no package.json beside it).
import pkg from "../package.json" with { type: "json" };

export const VERSION: string = pkg.version;
