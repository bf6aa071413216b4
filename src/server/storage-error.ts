/** A full disk or a failing device becomes E_STORAGE (507): the previous deployment is still live. */
import { CaxtonError } from "../errors/caxton-error.js";

const STORAGE_ERRNOS = ["ENOSPC", "EDQUOT", "EIO", "EROFS"] as const;

export function storageError(err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException)?.code;
  if ((STORAGE_ERRNOS as readonly (string | undefined)[]).includes(code)) {
    return new CaxtonError(
      "E_STORAGE",
      `the server could not write its data dir (${code}); nothing was applied`,
      { cause: err },
    );
  }
  return err;
}
