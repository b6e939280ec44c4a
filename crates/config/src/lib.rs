//! certify-config
