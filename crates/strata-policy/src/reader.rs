//! What the policy and VEX readers share: the file being read, and errors that point into it.

use crate::PolicyError;
use crate::yaml::Node;

/// Reads one file's document tree; every error names the file, line and column.
pub(crate) struct Reader<'a> {
    pub(crate) file: &'a str,
}

impl Reader<'_> {
    pub(crate) fn err(
        &self,
        node: &Node,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> PolicyError {
        PolicyError::Invalid {
            file: self.file.to_owned(),
            line: node.pos.line,
            col: node.pos.col,
            message: message.into(),
            hint: hint.into(),
        }
    }

    /// `FILE:LINE:COLUMN` of a node, for reports that point back at the file.
    pub(crate) fn source(&self, node: &Node) -> String {
        format!("{}:{}:{}", self.file, node.pos.line, node.pos.col)
    }
}
