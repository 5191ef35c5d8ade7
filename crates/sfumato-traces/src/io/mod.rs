//! Readers and writers of load-trace files.
