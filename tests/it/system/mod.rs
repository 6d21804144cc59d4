//! End-to-end tests of what spans both dialects: bad input and tokens, rate
//! limits, and the system endpoints (`/health`, `/ready`, the OpenAPI
//! document).

mod endpoints;
mod errors;
mod metrics;
mod operations;
mod rate_limits;
