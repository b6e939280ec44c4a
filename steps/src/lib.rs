//! certify-steps
