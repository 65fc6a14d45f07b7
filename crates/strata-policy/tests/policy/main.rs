//! Table-driven tests of every policy rule, exception scope, VEX format and the
//! exception file editor, over findings built in memory and the real Ubuntu OpenVEX and
//! Red Hat CSAF documents from ../shared/data (unpacked from the vunnel fixtures).

#![allow(clippy::unwrap_used)]

mod rules;
