//! Memory between stages: the one place migcov talks to the allocator. It sits below every
//! stage and knows none of them.

/// Hands the memory a step freed back to the system. An allocator keeps freed memory for
/// reuse, and what a step's large, short-lived frames leave there is not reused well by the
/// next step's: without this, a step's peak stacks on the leftovers of the one before (at
/// ten million CSV mappings, 1.6 GiB held after loading). A few calls per build.
///
/// migcov's allocator is jemalloc (`main.rs`), which keeps freed pages for ten seconds
/// before it returns them: every arena's unused pages are purged now. glibc's arenas are
/// trimmed too, for what is allocated outside jemalloc (a test binary uses glibc alone).
/// Since jemalloc became the allocator this trimmed glibc alone and returned none of
/// jemalloc's pages (the 100M narrow build: 4.68 GiB at the peak, 4.55 GiB with the purge).
pub fn release_freed_memory() {
    // "arena.<MALLCTL_ARENAS_ALL>.purge": MALLCTL_ARENAS_ALL is 4096 in jemalloc 5.
    // SAFETY: a purge takes no argument and returns none; jemalloc checks the name, and a
    // failure (jemalloc not the allocator) leaves memory as it is.
    unsafe {
        tikv_jemalloc_sys::mallctl(
            c"arena.4096.purge".as_ptr(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            0,
        );
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory; it has no preconditions.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// `MIGCOV_TRACE=1`: the seconds since the previous trace, and the peak and current
/// resident memory (on Linux) after `what`, a step of measuring or validating, with what
/// jemalloc counts allocated and resident, in GiB, on stderr; for finding which step lifts a
/// large build's peak or takes its time (`MIGCOV_TIMINGS` gives the stages').
pub fn trace(what: &str) {
    if std::env::var_os("MIGCOV_TRACE").is_none() {
        return;
    }
    let get = |name: &str| status_kib(name).unwrap_or(0) as f64 / (1u64 << 20) as f64;
    // jemalloc's own figures (built with its statistics): what is allocated, live, against
    // what it keeps resident; memory held by live objects is not the allocator's to
    // return, and a gap between the two is.
    let stat = |name: &std::ffi::CStr| -> f64 {
        let mut value: usize = 0;
        let mut len = std::mem::size_of::<usize>();
        let mut epoch: u64 = 1;
        let mut epoch_len = std::mem::size_of::<u64>();
        let epoch_ptr = &mut epoch as *mut u64 as *mut std::ffi::c_void;
        // SAFETY: "epoch" reads and writes a u64, the statistics read a size_t, each
        // given with its length; jemalloc checks the names, and a failure leaves 0.
        unsafe {
            tikv_jemalloc_sys::mallctl(
                c"epoch".as_ptr(),
                epoch_ptr,
                &mut epoch_len,
                epoch_ptr,
                std::mem::size_of::<u64>(),
            );
            tikv_jemalloc_sys::mallctl(
                name.as_ptr(),
                &mut value as *mut usize as *mut std::ffi::c_void,
                &mut len,
                std::ptr::null_mut(),
                0,
            );
        }
        value as f64 / (1u64 << 30) as f64
    };
    // The process's processor seconds, user and system: beside the seconds gone by, how
    // many cores a step kept busy, and how much of it the kernel's (page faults, writes).
    let cpu = || -> (f64, f64) {
        // SAFETY: getrusage fills the struct it is given; a failure leaves zeros.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
        let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
        (secs(usage.ru_utime), secs(usage.ru_stime))
    };
    type Mark = (std::time::Instant, (f64, f64));
    static PREVIOUS: std::sync::Mutex<Option<Mark>> = std::sync::Mutex::new(None);
    let now = (std::time::Instant::now(), cpu());
    let (since, user, system) = PREVIOUS
        .lock()
        .map(|mut previous| previous.replace(now))
        .ok()
        .flatten()
        .map_or((0.0, 0.0, 0.0), |(at, (user, system))| {
            (
                (now.0 - at).as_secs_f64(),
                now.1 .0 - user,
                now.1 .1 - system,
            )
        });
    eprintln!(
        "trace: {what:<40} {since:6.2} s  cpu {user:6.2} user {system:5.2} sys  peak {:.2} now {:.2} allocated {:.2} resident {:.2}",
        get("VmHWM:"),
        get("VmRSS:"),
        stat(c"stats.allocated"),
        stat(c"stats.resident")
    );
}

/// One of the process's resident memory figures in KiB (`VmHWM:`, the peak, or `VmRSS:`,
/// now, of `/proc/self/status`), where the system reports it.
pub fn status_kib(name: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(name))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
