//! Alerts written to a stream: standard output, or any `Write` (for tests and tools).

use std::io::Write;

use strata_rules::Alert;

use crate::dispatch::{Sink, SinkContext};
use crate::spec::Format;

/// Appends one alert line (JSON or the text output) with its newline to `buf`.
pub fn format_line(alert: &Alert, format: Format, buf: &mut Vec<u8>) {
    match format {
        Format::Json => {
            // Serializing an `Alert` (strings, a JSON map) cannot fail.
            let _ = serde_json::to_writer(&mut *buf, alert);
        }
        Format::Text => buf.extend_from_slice(alert.output.as_bytes()),
    }
    buf.push(b'\n');
}

/// Writes each alert as one line to a writer, flushing after each.
pub struct WriterSink<W: Write + Send> {
    out: W,
    format: Format,
    buf: Vec<u8>,
}

impl<W: Write + Send> WriterSink<W> {
    pub fn new(out: W, format: Format) -> WriterSink<W> {
        WriterSink {
            out,
            format,
            buf: Vec::with_capacity(1024),
        }
    }
}

/// The `stdout` sink.
pub fn stdout_sink(format: Format) -> WriterSink<std::io::Stdout> {
    WriterSink::new(std::io::stdout(), format)
}

impl<W: Write + Send> Sink for WriterSink<W> {
    fn deliver(&mut self, alert: &Alert, cx: &SinkContext) {
        self.buf.clear();
        format_line(alert, self.format, &mut self.buf);
        cx.stats().record_delivery(
            self.out
                .write_all(&self.buf)
                .and_then(|()| self.out.flush()),
        );
    }
}
