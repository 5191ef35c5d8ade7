//! Threshold decryption (DJ 2001 §4). Placeholder module filled below.
