/** Where an upload's blobs are in the container, as tusd's azurestore names them. */
export interface BlobNames {
  /** What every name starts with: the object prefix and a `/` after it, or nothing. */
  readonly prefix: string
  /** `<prefix><id>.info`: tusd's FileInfo as JSON. */
  info(id: string): string
  /** `<prefix><id>`: the block blob holding the bytes. */
  data(id: string): string
  /** The id an `.info` blob's name stands for, or undefined for any other name. */
  idOfInfo(name: string): string | undefined
}

const INFO_SUFFIX = '.info'

/**
 * tusd's `keyWithPrefix`: a prefix that does not end in `/` gets one (`uploads` puts blobs at `uploads/<id>`),
 * an empty prefix puts them at the container's root.
 */
export function blobNames(objectPrefix = ''): BlobNames {
  const prefix = objectPrefix === '' || objectPrefix.endsWith('/') ? objectPrefix : `${objectPrefix}/`
  return {
    prefix,
    info: (id) => `${prefix}${id}${INFO_SUFFIX}`,
    data: (id) => `${prefix}${id}`,
    idOfInfo(name) {
      if (!name.startsWith(prefix) || !name.endsWith(INFO_SUFFIX)) return undefined
      return name.slice(prefix.length, -INFO_SUFFIX.length)
    },
  }
}
