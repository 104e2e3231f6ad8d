//! Keeping a bounded amount of a child's output.
//!
//! A learner's test may print megabytes (a debug `println!` in a hot loop).
//! The runner keeps the first and the last few KiB of each stream and only
//! counts the rest, so its memory does not grow with the learner's output.

use std::collections::VecDeque;
use std::io::Read;

/// The head and tail of a stream, and how many bytes were dropped between.
#[derive(Debug, Default, Clone)]
pub struct BoundedOutput {
    head: Vec<u8>,
    tail: VecDeque<u8>,
    total: u64,
    limit: usize,
}

impl BoundedOutput {
    /// Keeps at most `limit` bytes from the start and `limit` from the end.
    pub fn new(limit: usize) -> Self {
        BoundedOutput { limit, ..Default::default() }
    }

    /// Reads `reader` to its end (or to the first error), keeping the bounds.
    pub fn read_all(limit: usize, mut reader: impl Read) -> Self {
        let mut out = BoundedOutput::new(limit);
        let mut buf = [0u8; 16 * 1024];
        loop {
            match reader.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => out.push(&buf[..n]),
            }
        }
        out
    }

    fn push(&mut self, mut bytes: &[u8]) {
        self.total += bytes.len() as u64;
        let room = self.limit.saturating_sub(self.head.len());
        let to_head = room.min(bytes.len());
        self.head.extend_from_slice(&bytes[..to_head]);
        bytes = &bytes[to_head..];
        if bytes.len() >= self.limit {
            self.tail.clear();
            bytes = &bytes[bytes.len() - self.limit..];
        }
        let overflow = (self.tail.len() + bytes.len()).saturating_sub(self.limit);
        self.tail.drain(..overflow);
        self.tail.extend(bytes);
    }

    /// Every byte the stream produced, kept or not.
    pub fn total_bytes(&self) -> u64 {
        self.total
    }

    /// The last `max` bytes as text (or fewer, if less was kept).
    pub fn tail_text(&self, max: usize) -> String {
        let kept: Vec<u8> = if self.tail.is_empty() { self.head.clone() } else { self.tail.iter().copied().collect() };
        let start = kept.len().saturating_sub(max);
        let text = String::from_utf8_lossy(&kept[start..]).into_owned();
        let skipped = self.total - (kept.len() - start) as u64;
        if skipped > 0 { format!("[... {skipped} earlier bytes not shown ...]\n{text}") } else { text }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_head_and_tail_and_counts_everything() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        let out = BoundedOutput::read_all(100, &data[..]);
        assert_eq!(out.total_bytes(), 10_000);
        assert_eq!(out.head, &data[..100]);
        assert_eq!(out.tail.iter().copied().collect::<Vec<_>>(), &data[9_900..]);
    }

    #[test]
    fn short_output_is_kept_whole() {
        let out = BoundedOutput::read_all(100, &b"hello"[..]);
        assert_eq!(out.tail_text(1000), "hello");
    }

    #[test]
    fn tail_text_says_what_it_skipped() {
        let out = BoundedOutput::read_all(4, &b"abcdefghij"[..]);
        assert_eq!(out.tail_text(2), "[... 8 earlier bytes not shown ...]\nij");
    }
}
