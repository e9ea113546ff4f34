import { createHash, randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { chmod, lstat, mkdir, open, rename, unlink } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import type { StoredToken, TokenStore } from '@m3ter-auth/core'

/**
 * The directory tokens are cached in: `$XDG_CACHE_HOME/m3ter-auth`, else `~/.cache/m3ter-auth`.
 *
 * @example
 * ```ts
 * const store = createFileTokenStore(defaultCacheDir()) // ~/.cache/m3ter-auth unless XDG_CACHE_HOME is set
 * ```
 */
export function defaultCacheDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  // The XDG spec says a relative value is invalid and must be ignored.
  const xdg = env.XDG_CACHE_HOME
  const root = xdg?.startsWith('/') ? xdg : join(homedir(), '.cache')
  return join(root, 'm3ter-auth')
}

/**
 * A {@link TokenStore} on disk that can also wait for its writes, so a short-lived process exits after them.
 *
 * @example
 * ```ts
 * const store: FileTokenStore = createFileTokenStore(defaultCacheDir())
 * const token = await createTokenProvider({ store }).getToken()
 * await store.flush() // before the process exits, so the next run finds the token on disk
 * ```
 */
export interface FileTokenStore extends TokenStore {
  /** Resolves once every write and delete started so far has finished (they never reject). */
  flush(): Promise<void>
  /** The file a store key maps to: a hash of the key (token URL + access key id), never the secret. */
  fileFor(key: string): string
}

interface CacheFile extends StoredToken {
  readonly version: 1
  readonly key: string
}

// Tokens live for hours; a file larger than this is not one of ours.
const MAX_FILE_BYTES = 64 * 1024

/**
 * A token cache for one user on one machine: one file per store key in `dir`, mode 0600 in a 0700
 * directory, written atomically (a temporary file renamed over the old one), so a reader never sees half a
 * file. Anything that does not look exactly like our own file — not a regular file, a symlink, another
 * owner, readable by others, not JSON, the wrong shape, another key's token — is treated as absent, and the
 * next write replaces it. Failures never surface: a cache that cannot be used just means a token request.
 *
 * @example
 * ```ts
 * import { createTokenProvider } from '@m3ter-auth/core'
 * import { createFileTokenStore, defaultCacheDir } from '@m3ter-auth/cli'
 *
 * const store = createFileTokenStore(defaultCacheDir())
 * const auth = createTokenProvider({ store })
 * console.log(await auth.getToken())
 * await store.flush()
 * ```
 */
export function createFileTokenStore(dir: string): FileTokenStore {
  const pending = new Set<Promise<void>>()
  const track = (work: Promise<void>): Promise<void> => {
    const settled = work.catch(() => undefined)
    pending.add(settled)
    void settled.then(() => pending.delete(settled))
    return settled
  }
  const fileFor = (key: string) =>
    join(dir, `token-${createHash('sha256').update(key).digest('hex').slice(0, 32)}.json`)

  return {
    fileFor,
    async get(key) {
      if (!(await usableDir(dir))) return undefined
      const file = await readOwnFile(fileFor(key))
      return file === undefined ? undefined : parseCacheFile(file, key)
    },
    set(key, token) {
      const content: CacheFile = {
        version: 1,
        key,
        accessToken: token.accessToken,
        obtainedAt: token.obtainedAt,
        expiresAt: token.expiresAt,
        refreshAt: token.refreshAt,
      }
      return track(writeAtomically(dir, fileFor(key), JSON.stringify(content)))
    },
    delete(key, accessToken) {
      return track(
        (async () => {
          const file = fileFor(key)
          if (accessToken !== undefined) {
            const text = await readOwnFile(file)
            if (text !== undefined && parseCacheFile(text, key)?.accessToken !== accessToken) return
          }
          await unlink(file)
        })(),
      )
    },
    async flush() {
      // A write may be started in the same turn the token is handed out: let it register first.
      await new Promise((resolve) => setImmediate(resolve))
      await Promise.all(pending)
    },
  }
}

const uid = typeof process.getuid === 'function' ? process.getuid() : undefined

/** Creates the directory 0700 if needed; refuses one that is a symlink, another user's, or open to others. */
async function usableDir(dir: string): Promise<boolean> {
  await mkdir(dir, { recursive: true, mode: 0o700 }).catch(() => undefined)
  const stats = await lstat(dir).catch(() => undefined)
  if (!stats?.isDirectory()) return false
  if (uid !== undefined && stats.uid !== uid) return false
  // Our own directory with loose permissions (made by hand, or by a umask): tighten it rather than give up.
  if ((stats.mode & 0o077) !== 0)
    return chmod(dir, 0o700).then(
      () => true,
      () => false,
    )
  return true
}

/** The text of `path` if it is a regular file of ours, 0600 or stricter; else undefined. */
async function readOwnFile(path: string): Promise<string | undefined> {
  // O_NOFOLLOW: a symlink planted at our file name is refused, not followed. The checks are made on the
  // opened descriptor, so the file cannot be swapped between the check and the read.
  const handle = await open(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0)).catch(() => undefined)
  if (!handle) return undefined
  try {
    const stats = await handle.stat()
    if (!stats.isFile() || stats.size > MAX_FILE_BYTES) return undefined
    if (uid !== undefined && stats.uid !== uid) return undefined
    if ((stats.mode & 0o077) !== 0) return undefined
    return await handle.readFile('utf8')
  } catch {
    return undefined
  } finally {
    await handle.close().catch(() => undefined)
  }
}

function parseCacheFile(text: string, key: string): StoredToken | undefined {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  const file = value as Partial<Record<keyof CacheFile, unknown>>
  const times = [file.obtainedAt, file.expiresAt, file.refreshAt]
  if (file.version !== 1 || file.key !== key) return undefined
  if (typeof file.accessToken !== 'string' || !/^[\x21-\x7e]+$/.test(file.accessToken)) return undefined
  if (!times.every((t) => typeof t === 'number' && Number.isFinite(t))) return undefined
  const [obtainedAt, expiresAt, refreshAt] = times as [number, number, number]
  if (!(obtainedAt <= refreshAt && refreshAt <= expiresAt)) return undefined
  return { accessToken: file.accessToken, obtainedAt, expiresAt, refreshAt }
}

async function writeAtomically(dir: string, path: string, content: string): Promise<void> {
  if (!(await usableDir(dir))) return
  const temporary = join(dir, `.tmp-${process.pid}-${randomBytes(6).toString('hex')}`)
  // 'wx' with mode 0600: a new file nobody else could have opened; the token is never in a readable file.
  const handle = await open(temporary, 'wx', 0o600)
  try {
    await handle.writeFile(content, 'utf8')
    await handle.sync()
  } finally {
    await handle.close()
  }
  // rename replaces whatever was at `path` (a corrupt file, another's symlink) without following it.
  await rename(temporary, path).catch(async (error: unknown) => {
    await unlink(temporary).catch(() => undefined)
    throw error
  })
}
