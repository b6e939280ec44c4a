//! The `certify` command. Parses arguments and hands over; all logic lives in
//! the command modules and the library crates.

// mimalloc: a run allocates many small blocks on one thread and frees
// them on the writer thread; glibc's arenas contend on that (measured: a
// run of 10,000 scenarios takes about a fifth less wall time with it).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod allocator {
    /// `mi_option_purge_delay` in mimalloc v3's `mimalloc.h` (the sixteenth
    /// option; libmimalloc-sys names only some of them). Check it when
    /// libmimalloc-sys moves to another mimalloc.
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

    /// Keeps the peak resident size to what is held: freed memory goes back
    /// to the system at once (mimalloc's default waits), and the process
    /// opts out of transparent huge pages (where the system backs every
    /// anonymous mapping with them, one touched byte of an arena would make
    /// 2 MiB resident).
    pub fn tune() {
        #[cfg(target_os = "linux")]
        #[allow(unsafe_code)]
        // SAFETY: prctl(PR_SET_THP_DISABLE, 1) takes plain integers and
        // changes only this process's huge-page policy.
        unsafe {
            libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
        }
        #[allow(unsafe_code)]
        // SAFETY: setting an option stores an integer in mimalloc's option
        // table; the purge delay is read each time memory is freed.
        unsafe {
            libmimalloc_sys::mi_option_set(PURGE_DELAY, 0);
        }
    }
}

mod cli;
mod cmd;
mod embedded;
mod exit;
mod output;
mod progress;
mod project;
mod signals;

fn main() -> std::process::ExitCode {
    allocator::tune();
    let args = <cli::Cli as clap::Parser>::parse();
    let code = cmd::dispatch(args);
    std::process::ExitCode::from(code as u8)
}
