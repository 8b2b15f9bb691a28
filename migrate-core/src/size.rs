//! Sizes in messages: `900 bytes`, `16777216 bytes (16 MiB)`.

/// A size in bytes for messages, with its rounded form from 1 KiB up:
/// `900 bytes`, `16777216 bytes (16 MiB)`.
pub(crate) fn size_text(bytes: u64) -> String {
    if bytes < 1 << 10 {
        format!("{bytes} bytes")
    } else {
        format!("{bytes} bytes ({})", human_size(bytes))
    }
}

/// A size for messages: `16 MiB`, `1.5 GiB`, `900 bytes`.
pub(crate) fn human_size(bytes: u64) -> String {
    const UNITS: [(&str, u64); 3] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    for (name, unit) in UNITS {
        if bytes >= unit {
            let whole = bytes / unit;
            let tenths = (bytes % unit) * 10 / unit;
            return if tenths == 0 {
                format!("{whole} {name}")
            } else {
                format!("{whole}.{tenths} {name}")
            };
        }
    }
    format!("{bytes} bytes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_bytes_and_rounded_units() {
        assert_eq!(human_size(16 << 20), "16 MiB");
        assert_eq!(human_size(1_610_612_736), "1.5 GiB");
        assert_eq!(human_size(900), "900 bytes");
        assert_eq!(size_text(900), "900 bytes");
        assert_eq!(size_text(16 << 20), "16777216 bytes (16 MiB)");
    }
}
