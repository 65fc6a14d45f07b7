//! Output formats. Each format is a printer over plain data.
