//! Integration tests for strata-rules.
#![allow(clippy::unwrap_used)]

mod alloc;
mod docs;
mod falco_files;
mod k8s_audit;
mod replay_cli;
mod scenarios;
mod semantics;

use std::path::PathBuf;

/// The Falco data folder, or `None` (test skipped outside CI).
pub fn falco_dir() -> Option<PathBuf> {
    let d = strata_testkit::data_dir()?.join("falco");
    if d.is_dir() {
        Some(d)
    } else {
        strata_testkit::skip_or_fail(&format!("{} is missing", d.display()));
        None
    }
}

/// Counts heap allocations per thread, so a test can check that a code path allocates
/// nothing while other tests run on other threads.
struct CountingAllocator;

thread_local! {
    static ALLOCATIONS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

// The one unsafe impl here forwards to the system allocator unchanged.
#[allow(unsafe_code)]
unsafe impl std::alloc::GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { std::alloc::System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { std::alloc::System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// Allocations (and reallocations) made so far by the calling thread.
pub fn thread_allocations() -> u64 {
    ALLOCATIONS.with(std::cell::Cell::get)
}
