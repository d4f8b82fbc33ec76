//! fnhost's buckets: named directories as S3 stand-ins, safe key resolution, ETags and per-function object grants
