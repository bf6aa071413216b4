/** The version of the CLI and server, reported by `caxton --version` and `GET /health`. */
export const VERSION = "0.1.0";
