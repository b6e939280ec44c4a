//! certify-runner
