//! certify-refplatform
