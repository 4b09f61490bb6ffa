// Package localstore is the media.Store Daka uses when no S3 service is
// configured: objects are files in a folder on local disk.
//
// Invariants:
//
//   - Keys are validated with media.ValidateKey and every file operation goes
//     through an os.Root, so no key or symlink can reach outside the folder.
//   - Put is atomic: data goes to a temporary file under ".tmp/", is fsynced,
//     and is renamed over the final name (the commit point); the directory is
//     fsynced after the rename. A reader sees the old or the new object, never
//     a partial one, and a crash leaves at most a stray temporary file.
//   - The content type lives in a sidecar under ".meta/<key>", written
//     (atomically) just before the data. Dot-names are reserved: ValidateKey
//     refuses segments starting with '.', so keys never collide with them.
//   - A key cannot be both an object and a "directory" of others ("a" and
//     "a/b"), which S3 allows; Put fails for the second one.
//   - Signed URLs imitate S3 presigning, which a folder cannot do:
//     <BaseURL>/v1/media/<key>?expires=<unix>&sig=<hex HMAC-SHA256> for GET,
//     plus &ct=<content type> for PUT. The MAC covers a version tag, the
//     method, the key, the expiry and (PUT only) the content type, and is
//     compared in constant time. Handler serves them; the API mounts it.
package localstore
