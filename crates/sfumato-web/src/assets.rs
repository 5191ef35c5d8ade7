//! Static assets, compiled into the binary: nothing is fetched at run time
//! (no CDN).

/// uPlot 1.6.32 (MIT), vendored unchanged; see
/// `assets/vendor/uplot-1.6.32/README.md`.
pub const UPLOT_JS: &[u8] = include_bytes!("../assets/vendor/uplot-1.6.32/uPlot.iife.min.js");
/// uPlot's style sheet.
pub const UPLOT_CSS: &[u8] = include_bytes!("../assets/vendor/uplot-1.6.32/uPlot.min.css");
/// The pinned checksums of the vendored files (`sha256sum` format).
pub const UPLOT_SHA256SUMS: &str = include_str!("../assets/vendor/uplot-1.6.32/SHA256SUMS");
/// The dashboard's script: charts, the iteration slider, Bob's window.
pub const APP_JS: &str = include_str!("../assets/app.js");
/// The dashboard's style.
pub const APP_CSS: &str = include_str!("../assets/app.css");

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    #[test]
    fn vendored_assets_match_their_checksums() {
        let mut seen = 0;
        for line in UPLOT_SHA256SUMS.lines() {
            let (sum, name) = line.split_once("  ").unwrap();
            let bytes = match name {
                "uPlot.iife.min.js" => UPLOT_JS,
                "uPlot.min.css" => UPLOT_CSS,
                other => panic!("unexpected file {other}"),
            };
            let got: String = Sha256::digest(bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            assert_eq!(got, sum, "{name} changed");
            seen += 1;
        }
        assert_eq!(seen, 2);
    }
}
