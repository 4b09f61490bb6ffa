// Package s3store is the media.Store for any S3-compatible service (AWS S3,
// Aliyun OSS, Tencent COS, Huawei OBS, versitygw, Ceph RGW, MinIO servers),
// through the Apache-2.0 minio-go client.
//
// Invariants:
//
//   - Objects are never public: no ACL or policy is ever set, so the
//     bucket's default (private) applies; clients reach objects only through
//     presigned URLs, which SigV4 limits to media.MaxSignedURLTTL.
//   - New creates the bucket when it does not exist, so a fresh deployment
//     (or a test) needs only credentials allowed to create it.
//   - A presigned PUT binds the Content-Type header (it is a signed header),
//     matching media/localstore: the client must send exactly that value.
//   - The region is always configured, so minio-go never issues a
//     GetBucketLocation request.
package s3store
