//! The runtime sensor behind `strata monitor`: event sources, the process table, container
//! context from the Docker Engine, built-in rules and the monitor loop.

pub mod cgroup;
pub mod docker;
pub mod enrich;
pub mod live;
pub mod monitor;
pub mod proc_connector;
pub mod process;
pub mod procfs;
pub mod scope;
pub mod sockets;
