/**
 * Engine identities, and telling whether the engine that owns a run is dead.
 *
 * An owner id is `host:pid:nonce`. A run claimed by a process on this host
 * that no longer exists (killed, crashed) may be taken over at once instead
 * of waiting for its lease to run out. Owners on other hosts are only
 * replaced when their lease has passed.
 *
 * @internal
 */
import { randomUUID } from "node:crypto"
import { hostname } from "node:os"

const host = hostname().replaceAll(":", "_")

/** A new owner id for an engine of this process. */
export const makeOwnerId = (): string => `${host}:${process.pid}:${randomUUID().slice(0, 8)}`

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it exists but belongs to someone else
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}

/** Whether `owner` is an engine of a process on this host that has exited. */
export const isDeadLocalOwner = (owner: string): boolean => {
  const [ownerHost, pidText] = owner.split(":")
  const pid = Number(pidText)
  if (ownerHost !== host || !Number.isInteger(pid) || pid <= 0) return false
  if (pid === process.pid) return false
  return !isAlive(pid)
}
