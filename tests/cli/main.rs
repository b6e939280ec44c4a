//! End-to-end tests of the `certify` binary: the real executable, run in
//! temporary directories with a cleared environment, against the embedded
//! reference platform (`certify demo`) or a small HTTP server of the tests'
//! own on 127.0.0.1. Fixture projects live in `tests/fixtures/` (see its
//! README), most with an `expected.txt` where the outcome is data.

mod api;
mod body;
mod demo;
mod exit_codes;
mod gate;
mod help;
mod integrity;
mod leaks;
mod lint;
mod merge;
mod run;
mod secrets;
mod steps;
mod support;
mod versions;
mod witness;
