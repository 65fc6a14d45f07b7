//! Operating-system package databases.
