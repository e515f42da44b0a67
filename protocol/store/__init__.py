"""Storage I/O: the content-addressed blob store client (`blobs`) and a node's local
SQLite database (`localdb`)."""

from protocol.store.blobs import DEFAULT_MAX_BLOB_BYTES, BlobStore, MemoryBlobStore, StoreClient, blob_id

__all__ = ["DEFAULT_MAX_BLOB_BYTES", "BlobStore", "MemoryBlobStore", "StoreClient", "blob_id"]
