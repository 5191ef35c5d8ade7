//! Where events come from: the generator or a challenge CSV file.

use std::io::BufRead;

use crate::csv::CsvReader;
use crate::error::Result;
use crate::event::Event;
use crate::generate::PlugStream;

/// A stream of events in input order.
pub trait EventSource {
    /// Appends up to `max` further events to `out`; returns how many (0 at
    /// the end).
    fn fill(&mut self, out: &mut Vec<Event>, max: usize) -> Result<usize>;
}

impl EventSource for PlugStream {
    fn fill(&mut self, out: &mut Vec<Event>, max: usize) -> Result<usize> {
        Ok(PlugStream::fill(self, out, max))
    }
}

impl<R: BufRead> EventSource for CsvReader<R> {
    fn fill(&mut self, out: &mut Vec<Event>, max: usize) -> Result<usize> {
        self.read_batch(out, max)
    }
}

impl EventSource for std::vec::IntoIter<Event> {
    fn fill(&mut self, out: &mut Vec<Event>, max: usize) -> Result<usize> {
        let before = out.len();
        out.extend(self.by_ref().take(max));
        Ok(out.len() - before)
    }
}
