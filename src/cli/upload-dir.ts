import { resolve } from 'node:path'
import { FileStore } from '../store/file/file-store.js'

/**
 * The file store in `--upload-dir`, created if missing (see `FileStore.open`). Throws an `Error` naming the
 * flag, with the system's reason, when the directory cannot be created or used.
 */
export async function fileStoreFromFlags(options: { uploadDir: string; fsync: boolean }): Promise<FileStore> {
  try {
    return await FileStore.open({ directory: options.uploadDir, fsync: options.fsync })
  } catch (error) {
    throw uploadDirFailure(options.uploadDir, error)
  }
}

/** An `Error` naming `--upload-dir` for a file system `error` met creating or opening `directory`. */
export function uploadDirFailure(directory: string, error: unknown): Error {
  const { code, path, message } = error as NodeJS.ErrnoException
  if (code === 'ENOTDIR' && path === resolve(directory)) return new Error(`--upload-dir ${directory}: not a directory`, { cause: error })
  return new Error(`--upload-dir ${directory}: cannot create or open it (${message})`, { cause: error })
}
