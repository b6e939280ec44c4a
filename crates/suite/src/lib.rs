//! certify-suite
