//! A sliding window's log of `(timestamp, milliwatts)` readings, in pages
//! that can be evicted sealed beyond the enclave's memory budget
//! (StreamMine3G §III: state beyond the EPC is paged out encrypted).
//!
//! Query 2 keeps each plug's last 24 hours and reads the log at three
//! places only: the oldest entry (leaving the 24-hour window), the entry
//! leaving the 1-hour window, and the end (new readings). The pages in
//! between — about 23 hours of every plug — are not touched until the
//! 24-hour cursor reaches them, so they are the ones a [`Pager`] seals
//! and moves out when resident state exceeds the budget, and opens again
//! when they become the oldest page.

use std::collections::VecDeque;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::enclave::{Channel, Enclave};
use crate::error::Result;

/// Entries per page: 512 readings of 8 bytes, one 4 KiB page.
pub const PAGE_ENTRIES: usize = 512;
/// Bytes of a resident page.
pub const PAGE_BYTES: usize = PAGE_ENTRIES * 8;

/// Counts of what a [`Pager`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PagerStats {
    /// Pages sealed and moved out.
    pub evicted: u64,
    /// Pages opened and brought back.
    pub restored: u64,
    /// Pages out at the end.
    pub out_now: u64,
}

/// Seals pages out of, and back into, an enclave's memory.
pub struct Pager {
    enclave: Option<Arc<dyn Enclave>>,
    sender: u32,
    counter: u64,
    /// What this worker's operators may keep resident, bytes.
    pub budget: usize,
    /// What it did.
    pub stats: PagerStats,
}

impl std::fmt::Debug for Pager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pager")
            .field("sender", &self.sender)
            .field("budget", &self.budget)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl Pager {
    /// A pager that never evicts (no enclave: plain processing).
    pub fn unbounded() -> Self {
        Pager {
            enclave: None,
            sender: 0,
            counter: 0,
            budget: usize::MAX,
            stats: PagerStats::default(),
        }
    }

    /// A pager sealing with `enclave` as worker `sender`, keeping at most
    /// `budget` bytes resident.
    pub fn new(enclave: Arc<dyn Enclave>, sender: u32, budget: usize) -> Self {
        Pager {
            enclave: Some(enclave),
            sender,
            counter: 0,
            budget,
            stats: PagerStats::default(),
        }
    }

    /// Whether pages may be evicted.
    pub fn evicts(&self) -> bool {
        self.enclave.is_some()
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
enum Page {
    Resident(Vec<(u32, u32)>),
    Sealed {
        sender: u32,
        counter: u64,
        bytes: Vec<u8>,
    },
}

/// The log of one window owner (a plug, or all plugs).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PagedLog {
    owner: u64,
    pages: VecDeque<Page>,
    /// Sequence number of the first entry of `pages[0]`.
    base: u64,
    /// First entry still in the long window.
    head: u64,
    /// First entry still in the short window.
    hour: u64,
    /// One past the last entry.
    tail: u64,
}

fn aad(owner: u64, base: u64) -> [u8; 16] {
    let mut a = [0u8; 16];
    a[..8].copy_from_slice(&owner.to_le_bytes());
    a[8..].copy_from_slice(&base.to_le_bytes());
    a
}

impl PagedLog {
    /// An empty log; `owner` names it in sealed pages' associated data, so
    /// a page cannot be replayed into another log or place.
    pub fn new(owner: u64) -> Self {
        PagedLog {
            owner,
            pages: VecDeque::new(),
            base: 0,
            head: 0,
            hour: 0,
            tail: 0,
        }
    }

    /// Appends a reading.
    pub fn push(&mut self, ts: u32, value: u32) {
        match self.pages.back_mut() {
            Some(Page::Resident(p)) if p.len() < PAGE_ENTRIES => p.push((ts, value)),
            _ => {
                let mut p = Vec::with_capacity(PAGE_ENTRIES);
                p.push((ts, value));
                self.pages.push_back(Page::Resident(p));
            }
        }
        self.tail += 1;
    }

    /// Resident pages.
    pub fn resident_pages(&self) -> usize {
        self.pages
            .iter()
            .filter(|p| matches!(p, Page::Resident(_)))
            .count()
    }

    fn entry(&mut self, seq: u64, pager: &mut Pager) -> Result<(u32, u32)> {
        let offset = (seq - self.base) as usize;
        let index = offset / PAGE_ENTRIES;
        let page = &mut self.pages[index];
        if let Page::Resident(p) = page {
            return Ok(p[offset % PAGE_ENTRIES]);
        }
        if let Page::Sealed {
            sender,
            counter,
            bytes,
        } = page
        {
            let base = self.base + (index * PAGE_ENTRIES) as u64;
            let enclave = pager.enclave.as_ref().ok_or_else(|| {
                crate::StreamError::Sealed("a sealed page and no enclave to open it".into())
            })?;
            let plain = enclave.open(
                Channel::State,
                *sender,
                *counter,
                &aad(self.owner, base),
                bytes,
            )?;
            let entries: Vec<(u32, u32)> = plain
                .chunks_exact(8)
                .map(|c| {
                    (
                        u32::from_le_bytes([c[0], c[1], c[2], c[3]]),
                        u32::from_le_bytes([c[4], c[5], c[6], c[7]]),
                    )
                })
                .collect();
            let entry = entries.get(offset % PAGE_ENTRIES).copied().ok_or_else(|| {
                crate::StreamError::Sealed("a sealed page shorter than its position".into())
            })?;
            *page = Page::Resident(entries);
            pager.stats.restored += 1;
            pager.stats.out_now = pager.stats.out_now.saturating_sub(1);
            return Ok(entry);
        }
        Err(crate::StreamError::Sealed("an unreadable page".into()))
    }

    /// Moves the long window's start past every reading at or before
    /// `limit`, handing each to `leave`.
    pub fn expire_long(
        &mut self,
        limit: u32,
        pager: &mut Pager,
        mut leave: impl FnMut(u32),
    ) -> Result<()> {
        while self.head < self.tail {
            let (ts, v) = self.entry(self.head, pager)?;
            if ts > limit {
                break;
            }
            leave(v);
            self.head += 1;
            // Drop pages wholly behind both cursors.
            while self.head.min(self.hour) >= self.base + PAGE_ENTRIES as u64
                && self.pages.len() > 1
            {
                self.pages.pop_front();
                self.base += PAGE_ENTRIES as u64;
            }
        }
        Ok(())
    }

    /// Moves the short window's start past every reading at or before
    /// `limit`, handing each to `leave`.
    pub fn expire_short(
        &mut self,
        limit: u32,
        pager: &mut Pager,
        mut leave: impl FnMut(u32),
    ) -> Result<()> {
        while self.hour < self.tail {
            let (ts, v) = self.entry(self.hour, pager)?;
            if ts > limit {
                break;
            }
            leave(v);
            self.hour += 1;
        }
        Ok(())
    }

    /// Seals resident pages that neither cursor nor the end will read soon
    /// (those strictly between the oldest page and the short window's
    /// page), newest first, until `enough` pages were sealed; returns how
    /// many.
    pub fn evict_cold(&mut self, pager: &mut Pager, enough: usize) -> Result<usize> {
        let Some(enclave) = pager.enclave.clone() else {
            return Ok(0);
        };
        let first = ((self.head.min(self.hour) - self.base) as usize) / PAGE_ENTRIES;
        let short = ((self.hour.max(self.head) - self.base) as usize) / PAGE_ENTRIES;
        let mut sealed = 0;
        for index in (first + 1..short.min(self.pages.len().saturating_sub(1))).rev() {
            if sealed >= enough {
                break;
            }
            let Page::Resident(entries) = &self.pages[index] else {
                continue;
            };
            let mut plain = Vec::with_capacity(PAGE_BYTES);
            for &(ts, v) in entries {
                plain.extend_from_slice(&ts.to_le_bytes());
                plain.extend_from_slice(&v.to_le_bytes());
            }
            let base = self.base + (index * PAGE_ENTRIES) as u64;
            pager.counter += 1;
            let bytes = enclave.seal(
                Channel::State,
                pager.sender,
                pager.counter,
                &aad(self.owner, base),
                &plain,
            )?;
            self.pages[index] = Page::Sealed {
                sender: pager.sender,
                counter: pager.counter,
                bytes,
            };
            pager.stats.evicted += 1;
            pager.stats.out_now += 1;
            sealed += 1;
        }
        Ok(sealed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enclave::{EPC_BYTES, InsecureSoftwareEnclave};

    #[test]
    fn evicted_pages_come_back_unchanged_and_windows_see_every_reading_once() {
        let enclave: Arc<dyn Enclave> = Arc::new(InsecureSoftwareEnclave::new(1, EPC_BYTES));
        let mut pager = Pager::new(enclave, 0, 0);
        let mut plain = Pager::unbounded();
        let mut a = PagedLog::new(9);
        let mut b = PagedLog::new(9);
        let (mut left_a, mut left_b) = (Vec::new(), Vec::new());
        let (mut short_a, mut short_b) = (Vec::new(), Vec::new());
        for t in 0..20_000u32 {
            a.push(t, t * 3);
            b.push(t, t * 3);
            a.expire_short(t.saturating_sub(600), &mut pager, |v| short_a.push(v))
                .unwrap();
            b.expire_short(t.saturating_sub(600), &mut plain, |v| short_b.push(v))
                .unwrap();
            a.expire_long(t.saturating_sub(5000), &mut pager, |v| left_a.push(v))
                .unwrap();
            b.expire_long(t.saturating_sub(5000), &mut plain, |v| left_b.push(v))
                .unwrap();
            if t % 100 == 0 {
                a.evict_cold(&mut pager, usize::MAX).unwrap();
            }
        }
        assert_eq!(left_a, left_b);
        assert_eq!(short_a, short_b);
        assert_eq!(left_a.len(), 20_000 - 5000);
        assert!(
            pager.stats.evicted > 10 && pager.stats.restored > 10,
            "{:?}",
            pager.stats
        );
        // About 4,400 readings between the cursors: ~8 pages out.
        assert!(a.resident_pages() < b.resident_pages());
        // Without an enclave nothing is evicted.
        assert_eq!(b.evict_cold(&mut plain, usize::MAX).unwrap(), 0);
    }

    #[test]
    fn a_tampered_page_does_not_open() {
        let enclave: Arc<dyn Enclave> = Arc::new(InsecureSoftwareEnclave::new(1, EPC_BYTES));
        let mut pager = Pager::new(enclave, 0, 0);
        let mut log = PagedLog::new(1);
        for t in 0..(PAGE_ENTRIES as u32 * 4) {
            log.push(t, t);
        }
        log.expire_short(PAGE_ENTRIES as u32 * 3, &mut pager, |_| {})
            .unwrap();
        assert_eq!(log.evict_cold(&mut pager, 9).unwrap(), 2);
        if let Page::Sealed { bytes, .. } = &mut log.pages[1] {
            bytes[3] ^= 0x40;
        }
        let err = log
            .expire_long(PAGE_ENTRIES as u32 * 2, &mut pager, |_| {})
            .unwrap_err();
        assert!(err.to_string().contains("authentication"), "{err}");
    }
}
