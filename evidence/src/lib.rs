//! certify-evidence
