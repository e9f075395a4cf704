//! S3 buckets served as Maven repositories at `/maven/NAME/`: path validation
//! now; the router lands with the cache and credentials cores.

pub mod path;
