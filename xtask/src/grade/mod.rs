//! `cargo xtask grade`: score many submissions with the hidden tests.
//! (Being built for issue 5; not yet a command.)

pub mod model;
